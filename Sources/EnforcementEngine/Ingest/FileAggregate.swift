import LogParsers
import RegistryClient

/// Everything ingest keeps of one file, built in memory while the file is parsed and
/// written in one transaction: counts per (client, hour, kind, reason, status), first and
/// last seen per client, and a bounded, deterministic sample of line references per
/// (client, kind.reason). Memory grows with distinct clients, not with lines.
public struct FileAggregate: Sendable {
    public struct CountKey: Hashable, Sendable {
        public var ip: IPAddress
        /// Hours since the epoch (UTC).
        public var hour: Int32
        public var kind: UInt8
        /// `RejectReason.rawValue`, 255 for none.
        public var reason: UInt8
        public var status: UInt8
    }

    public struct DayKey: Hashable, Sendable {
        public var ip: IPAddress
        public var day: Int32
    }

    public struct SampleKey: Hashable, Sendable {
        public var ip: IPAddress
        public var kind: UInt8
        public var reason: UInt8
    }

    /// A line reference; `priority` orders samples (the smallest are kept).
    public struct Sample: Sendable, Equatable {
        public var priority: UInt64
        public var line: Int
        public var offset: UInt64
    }

    public var counts: [CountKey: Int] = [:]
    /// First and last event per client and day (days since the epoch).
    public var seen: [DayKey: (first: Int64, last: Int64)] = [:]
    public var samples: [SampleKey: [Sample]] = [:]
    public var samplesPerKey: Int
    /// Hours (since the epoch) that have at least one event.
    public var hoursWithEvents: Set<Int32> = []
    public var futureEvents = 0
    public var distantEvents = 0
    private let fileKey: UInt64
    private let receivedAt: Int64

    /// Kinds whose lines are kept as evidence samples (connects and disconnects accuse
    /// nobody), as a bit mask over `EventKind.rawValue`.
    static let sampledKinds: UInt32 = [EventKind.rejected, .deferred, .authFailed, .lostConnection, .protocolError, .messageAccepted]
        .reduce(0) { $0 | 1 << UInt32($1.rawValue) }

    public init(fileSHA256: String, receivedAt: Int64, samplesPerKey: Int = 10) {
        self.samplesPerKey = samplesPerKey
        self.receivedAt = receivedAt
        fileKey = FNV1a.hash(fileSHA256.utf8)
    }

    /// Adds one event judged by `status` (the registration status at the event's time).
    public mutating func add(_ event: ParsedEvent, status: RegistrationStatus) {
        guard let ip = event.clientIP else { return }
        // Events without a time cannot be placed in an hour.
        guard event.hasTime else { return }
        let time = event.time
        let hour = Int32(truncatingIfNeeded: time >= 0 ? time / 3_600_000 : (time - 3_599_999) / 3_600_000)
        let reason = event.reason?.rawValue ?? 255
        counts[CountKey(ip: ip, hour: hour, kind: event.kind.rawValue, reason: reason, status: StatusCode.code(status)), default: 0] += 1
        let dayKey = DayKey(ip: ip, day: Int32(hour >= 0 ? hour / 24 : (hour - 23) / 24))
        if let known = seen[dayKey] {
            seen[dayKey] = (min(known.first, time), max(known.last, time))
        } else {
            seen[dayKey] = (time, time)
        }
        hoursWithEvents.insert(hour)
        if time > receivedAt + 300_000 { futureEvents += 1 }
        if time < receivedAt - 8 * 86_400_000 { distantEvents += 1 }
        guard Self.sampledKinds & (1 << UInt32(event.kind.rawValue)) != 0 else { return }
        // Deterministic priority from the file and the line: the same input keeps the same samples.
        var priority = fileKey ^ (UInt64(event.line) &* 0x9E37_79B9_7F4A_7C15)
        priority = (priority ^ (priority >> 31)) &* 0xBF58_476D_1CE4_E5B9
        priority ^= priority >> 29
        let sample = Sample(priority: priority >> 1, line: event.line, offset: event.offset)
        let key = SampleKey(ip: ip, kind: event.kind.rawValue, reason: reason)
        let limit = samplesPerKey
        // Mutated in place (no copy of the list per event).
        Self.offer(sample, to: &samples[key, default: []], limit: limit)
    }

    /// Keeps the `limit` samples of smallest priority, sorted.
    @inline(__always)
    private static func offer(_ sample: Sample, to list: inout [Sample], limit: Int) {
        if list.count < limit {
            var i = list.count
            list.append(sample)
            while i > 0, list[i - 1].priority > sample.priority {
                list[i] = list[i - 1]
                i -= 1
            }
            list[i] = sample
        } else if sample.priority < list[list.count - 1].priority {
            var i = list.count - 1
            while i > 0, list[i - 1].priority > sample.priority {
                list[i] = list[i - 1]
                i -= 1
            }
            list[i] = sample
        }
    }

    /// Hours between the first and the last event hour that have no event.
    public var gapHours: Int {
        guard let first = hoursWithEvents.min(), let last = hoursWithEvents.max() else { return 0 }
        return Int(last - first + 1) - hoursWithEvents.count
    }
}
