/// One shipped file as ingest recorded it, with its quality figures.
public struct Shipment: Codable, Sendable, Equatable {
    public var id: Int64?
    public var reporterID: String
    public var sha256: String
    public var fileName: String
    /// `ingested` or `quarantined` (a duplicate is never recorded).
    public var status: FileOutcome.Status
    public var receivedAt: Int64
    public var bytes: Int64
    public var lines: Int
    public var events: Int
    public var skipped: Int
    public var unparsed: Int
    public var firstEvent: Int64?
    public var lastEvent: Int64?
    /// Events stamped after the file was received (clock skew).
    public var futureEvents: Int
    /// Events more than a week older than the shipment.
    public var distantEvents: Int
    /// Hours between the first and last event with no event at all.
    public var gapHours: Int
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case id
        case reporterID = "reporter_id"
        case sha256
        case fileName = "file_name"
        case status
        case receivedAt = "received_at"
        case bytes, lines, events, skipped, unparsed
        case firstEvent = "first_event"
        case lastEvent = "last_event"
        case futureEvents = "future_events"
        case distantEvents = "distant_events"
        case gapHours = "gap_hours"
        case error
    }

    public init(
        id: Int64? = nil, reporterID: String, sha256: String, fileName: String, status: FileOutcome.Status, receivedAt: Int64, bytes: Int64, lines: Int, events: Int,
        skipped: Int, unparsed: Int, firstEvent: Int64?, lastEvent: Int64?, futureEvents: Int, distantEvents: Int, gapHours: Int, error: String?
    ) {
        self.id = id
        self.reporterID = reporterID
        self.sha256 = sha256
        self.fileName = fileName
        self.status = status
        self.receivedAt = receivedAt
        self.bytes = bytes
        self.lines = lines
        self.events = events
        self.skipped = skipped
        self.unparsed = unparsed
        self.firstEvent = firstEvent
        self.lastEvent = lastEvent
        self.futureEvents = futureEvents
        self.distantEvents = distantEvents
        self.gapHours = gapHours
        self.error = error
    }
}
