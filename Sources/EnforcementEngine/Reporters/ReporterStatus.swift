import Foundation
import LogParsers
import Primitives

/// A reporter's recent shipments with their quality figures, and what an operator should
/// look at (`reporters status`, the service's reporters page): a missed night, no shipment
/// yet, accusations of its own that other reporters contradicted.
public struct ReporterStatus: Codable, Sendable, Equatable {
    public struct ReporterInfo: Codable, Sendable, Equatable {
        public var id, name, organisation, timezone: String
        public var unparsedThreshold: Double

        enum CodingKeys: String, CodingKey {
            case id, name, organisation, timezone
            case unparsedThreshold = "unparsed_threshold"
        }
    }

    /// One shipment with its quality figures; times ISO 8601.
    public struct ShipmentFigures: Codable, Sendable, Equatable {
        public var file: String
        public var sha256: String
        public var status: String
        public var received: String
        public var bytes: Int64
        public var lines, events, skipped, unparsed: Int
        /// Unparsed lines over all lines (0 for an empty file).
        public var unparsedShare: Double
        public var firstEvent, lastEvent: String?
        /// Events stamped after the file was received (clock skew), and more than a week old.
        public var futureEvents, distantEvents: Int
        /// Hours between the first and last event without any event.
        public var gapHours: Int
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case file, sha256, status, received, bytes, lines, events, skipped, unparsed
            case unparsedShare = "unparsed_share"
            case firstEvent = "first_event"
            case lastEvent = "last_event"
            case futureEvents = "future_events"
            case distantEvents = "distant_events"
            case gapHours = "gap_hours"
            case error
        }

        public init(_ s: Shipment) {
            file = s.fileName
            sha256 = s.sha256
            status = s.status.rawValue
            received = ISOTime.format(millis: s.receivedAt, fraction: false)
            bytes = s.bytes
            lines = s.lines
            events = s.events
            skipped = s.skipped
            unparsed = s.unparsed
            unparsedShare = s.lines == 0 ? 0 : Double(s.unparsed) / Double(s.lines)
            firstEvent = s.firstEvent.map { ISOTime.format(millis: $0, fraction: false) }
            lastEvent = s.lastEvent.map { ISOTime.format(millis: $0, fraction: false) }
            futureEvents = s.futureEvents
            distantEvents = s.distantEvents
            gapHours = s.gapHours
            error = s.error
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(file, forKey: .file)
            try c.encode(sha256, forKey: .sha256)
            try c.encode(status, forKey: .status)
            try c.encode(received, forKey: .received)
            try c.encode(bytes, forKey: .bytes)
            try c.encode(lines, forKey: .lines)
            try c.encode(events, forKey: .events)
            try c.encode(skipped, forKey: .skipped)
            try c.encode(unparsed, forKey: .unparsed)
            try c.encode(unparsedShare, forKey: .unparsedShare)
            try c.encode(firstEvent, forKey: .firstEvent)
            try c.encode(lastEvent, forKey: .lastEvent)
            try c.encode(futureEvents, forKey: .futureEvents)
            try c.encode(distantEvents, forKey: .distantEvents)
            try c.encode(gapHours, forKey: .gapHours)
            try c.encode(error, forKey: .error)
        }
    }

    public enum Flag: String, Codable, Sendable {
        /// No file ingested for more than a day.
        case missedNight = "missed_night"
        /// Never shipped anything that was ingested.
        case noShipment = "no_shipment"
        /// Alone accused subjects that other reporters saw behave well (a possible frame-up).
        case contradicted
    }

    public var reporter: ReporterInfo
    public var shipments: [ShipmentFigures]
    /// When its last ingested shipment arrived.
    public var lastIngested: String?
    /// Whole days since its last ingested shipment (nil: none yet); 1 or more is a missed night.
    public var missedNights: Int?
    /// Subjects it alone accused while other reporters saw them behave well.
    public var contradicted: Int
    public var flags: [Flag]

    enum CodingKeys: String, CodingKey {
        case reporter, shipments
        case lastIngested = "last_ingested"
        case missedNights = "missed_nights"
        case contradicted, flags
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reporter, forKey: .reporter)
        try c.encode(shipments, forKey: .shipments)
        try c.encode(lastIngested, forKey: .lastIngested)
        try c.encode(missedNights, forKey: .missedNights)
        try c.encode(contradicted, forKey: .contradicted)
        try c.encode(flags, forKey: .flags)
    }

    /// Judges a reporter as of `asOf` (UTC ms) from its last `shipments` (newest first), the
    /// time of its last ingested shipment, and its contradicted accusations.
    public init(reporter: Reporter, shipments: [Shipment], lastIngested: Int64?, contradicted: Int, asOf: Int64) {
        self.reporter = ReporterInfo(
            id: reporter.id, name: reporter.name, organisation: reporter.organisation, timezone: reporter.timezone, unparsedThreshold: reporter.unparsedThreshold)
        self.shipments = shipments.map(ShipmentFigures.init)
        self.lastIngested = lastIngested.map { ISOTime.format(millis: $0, fraction: false) }
        missedNights = lastIngested.map { Int(max(0, asOf - $0) / 86_400_000) }
        self.contradicted = contradicted
        var flags: [Flag] = []
        if lastIngested == nil { flags.append(.noShipment) }
        if let missed = missedNights, missed >= 1 { flags.append(.missedNight) }
        if contradicted > 0 { flags.append(.contradicted) }
        self.flags = flags
    }
}
