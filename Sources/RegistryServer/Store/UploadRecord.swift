import Foundation

/// A file received over HTTP (`upload` table) and what became of it (FORMATS.md §7.1).
public struct UploadRecord: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case queued, ingesting, ingested, duplicate, quarantined
    }

    public var reporterID: String
    public var sha256: String
    /// The label the reporter gave.
    public var name: String
    public var receivedAt: Int64
    public var bytes: Int64
    public var status: Status
    /// Where the file waits in the spool (queued, ingesting).
    public var spoolFile: String?
    public var lines: Int
    public var events: Int
    public var unparsed: Int
    public var firstEvent: String?
    public var lastEvent: String?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case reporterID = "reporter_id"
        case sha256, name
        case receivedAt = "received_at"
        case bytes, status
        case spoolFile = "spool_file"
        case lines, events, unparsed
        case firstEvent = "first_event"
        case lastEvent = "last_event"
        case error
    }

    public init(reporterID: String, sha256: String, name: String, receivedAt: Int64, bytes: Int64, status: Status, spoolFile: String?) {
        self.reporterID = reporterID
        self.sha256 = sha256
        self.name = name
        self.receivedAt = receivedAt
        self.bytes = bytes
        self.status = status
        self.spoolFile = spoolFile
        lines = 0
        events = 0
        unparsed = 0
    }
}

/// The §7.1 status object of one upload.
public struct UploadDocument: Codable, Sendable, Equatable {
    public var sha256: String
    public var name: String
    public var received: String
    public var status: UploadRecord.Status
    public var lines: Int
    public var events: Int
    public var unparsed: Int
    public var firstEvent: String?
    public var lastEvent: String?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case sha256, name, received, status, lines, events, unparsed
        case firstEvent = "first_event"
        case lastEvent = "last_event"
        case error
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(name, forKey: .name)
        try c.encode(received, forKey: .received)
        try c.encode(status, forKey: .status)
        try c.encode(lines, forKey: .lines)
        try c.encode(events, forKey: .events)
        try c.encode(unparsed, forKey: .unparsed)
        try c.encode(firstEvent, forKey: .firstEvent)
        try c.encode(lastEvent, forKey: .lastEvent)
        try c.encode(error, forKey: .error)
    }
}
