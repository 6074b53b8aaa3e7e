import LogParsers

/// A sample log line of a case: which reporter shipped it, where it is, what it says.
public struct CaseSample: Sendable, Codable, Equatable {
    public var reporter: String
    /// `kind` or `kind.reason` of the event the line gave.
    public var selector: String
    public var file: String
    public var sha256: String
    /// 1-based.
    public var line: Int
    /// Byte offset of the line in the uncompressed shipment.
    public var offset: UInt64
    /// The line as archived (invalid UTF-8 replaced), nil when the archive lacks it.
    public var text: String?

    init(_ sample: SampleLine) {
        let e = sample.entry
        reporter = sample.reporter
        selector = EventKind(rawValue: e.kind).map { EventSelector(kind: $0, reason: RejectReason(rawValue: e.reason)).description } ?? "?"
        file = sample.shipment?.fileName ?? "?"
        sha256 = sample.shipment?.sha256 ?? ""
        line = e.line
        offset = e.offset
        text = sample.archived.map { String(decoding: $0.bytes, as: UTF8.self) }
    }
}
