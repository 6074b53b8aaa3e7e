/// A span of time samples are taken from: a case's window (UTC ms, `from` included, `to`
/// excluded).
public struct SampleWindow: Sendable, Equatable {
    public var from: Int64
    public var to: Int64

    public init(from: Int64, to: Int64) {
        self.from = from
        self.to = to
    }

    var firstDay: Int32 { Int32(from / 86_400_000) }
    var lastDay: Int32 { Int32((to - 1) / 86_400_000) }

    /// Whether every moment of `day` lies in the window (its lines need no time check).
    func covers(day: Int32) -> Bool { Int64(day) * 86_400_000 >= from && (Int64(day) + 1) * 86_400_000 <= to }
}
