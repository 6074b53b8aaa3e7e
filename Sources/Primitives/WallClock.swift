import Foundation

/// Where "now" comes from: the one clock of the product, passed in wherever time is read
/// (the engine never calls `Date()` itself), so that tests and replays fix it.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Int64

    /// A clock reading `now` (milliseconds since the epoch, UTC).
    public init(_ now: @escaping @Sendable () -> Int64) {
        read = now
    }

    /// Now, in milliseconds since the epoch (UTC).
    public func nowMillis() -> Int64 { read() }

    /// The system's clock.
    public static let system = WallClock { Int64(Date().timeIntervalSince1970 * 1000) }

    /// A clock stopped at `millis` (tests, replays, `--as-of`).
    public static func fixed(_ millis: Int64) -> WallClock { WallClock { millis } }
}
