/// What ingest did with one file (FORMATS.md §1: `ingest --json`, one object per file).
public struct FileOutcome: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        case ingested, duplicate, quarantined
    }

    public var file: String
    public var sha256: String?
    public var status: Status
    public var lines: Int
    public var events: Int
    public var unparsed: Int
    /// ISO 8601 UTC.
    public var firstEvent: String?
    public var lastEvent: String?
    /// Why a file was quarantined (with the byte offset for a broken stream).
    public var error: String?
    /// The reporter the file was ingested for.
    public var reporter: String

    public init(
        file: String, sha256: String?, status: Status, lines: Int, events: Int, unparsed: Int, firstEvent: String? = nil, lastEvent: String? = nil,
        error: String? = nil, reporter: String
    ) {
        self.file = file
        self.sha256 = sha256
        self.status = status
        self.lines = lines
        self.events = events
        self.unparsed = unparsed
        self.firstEvent = firstEvent
        self.lastEvent = lastEvent
        self.error = error
        self.reporter = reporter
    }

    enum CodingKeys: String, CodingKey {
        case file, sha256, status, lines, events, unparsed
        case firstEvent = "first_event"
        case lastEvent = "last_event"
        case error, reporter
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(file, forKey: .file)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(status, forKey: .status)
        try c.encode(lines, forKey: .lines)
        try c.encode(events, forKey: .events)
        try c.encode(unparsed, forKey: .unparsed)
        try c.encode(firstEvent, forKey: .firstEvent)
        try c.encode(lastEvent, forKey: .lastEvent)
        try c.encode(error, forKey: .error)
        try c.encode(reporter, forKey: .reporter)
    }
}
