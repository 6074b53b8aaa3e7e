/// What parsing one file gave: the per-file figures `parse` prints and ingest stores.
public struct FileSummary: Sendable, Codable, Equatable {
    /// How many line numbers of each problem kind are listed.
    public static let listedLineNumbers = 10

    public var file: String
    public var compressed = false
    /// `gzip`, `zstd`, `xz` or `bzip2` (the outer layer); nil when plain or unknown.
    public var compression: String?
    public var lines = 0
    /// Uncompressed bytes read.
    public var bytes: UInt64 = 0
    public var events = 0
    /// Events by kind name (`rejected`, …); kinds with none are left out.
    public var eventsByKind: [String: Int] = [:]
    /// Lines by MTA (`postfix`, …) that a parser handled.
    public var linesByMTA: [String: Int] = [:]
    /// Lines that are not connection-relevant (other daemons, deliveries, blank lines).
    public var skipped = 0
    /// Lines that looked relevant but matched no known form.
    public var unparsed = 0
    /// The first few unparsed line numbers (1-based).
    public var unparsedLines: [Int] = []
    /// Lines longer than the limit, skipped.
    public var oversized = 0
    public var oversizedLines: [Int] = []
    /// Refusals whose transaction never named its client in this file (Sendmail).
    public var unresolved = 0
    /// Earliest and latest event time (ISO 8601 UTC).
    public var firstEvent: String?
    public var lastEvent: String?
    /// False when the input ended early (truncated or corrupt stream, read error).
    public var complete = true
    /// Why the file is incomplete, with the uncompressed byte offset reached.
    public var error: String?
    /// The uncompressed byte offset where reading stopped, when incomplete.
    public var errorOffset: UInt64?

    public init(file: String) {
        self.file = file
    }

    enum CodingKeys: String, CodingKey {
        case file, compressed, compression, lines, bytes, events
        case eventsByKind = "events_by_kind"
        case linesByMTA = "lines_by_mta"
        case skipped, unparsed
        case unparsedLines = "unparsed_lines"
        case oversized
        case oversizedLines = "oversized_lines"
        case unresolved
        case firstEvent = "first_event"
        case lastEvent = "last_event"
        case complete, error
        case errorOffset = "error_offset"
    }

    /// Share of relevant-looking lines nobody understood, 0…1, over lines that were
    /// not blank or skipped as other daemons' (for drift detection).
    public var unparsedShare: Double {
        lines == 0 ? 0 : Double(unparsed + oversized) / Double(lines)
    }
}
