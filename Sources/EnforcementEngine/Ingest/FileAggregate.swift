import LogParsers
import RegistryClient

/// Everything ingest keeps of one file, built in memory while the file is parsed and
/// written in one transaction as the file's segment: per client and day, counts per (hour,
/// kind, reason, status), first and last seen, and a bounded, deterministic sample of line
/// references per kind.reason. One hash lookup per event; memory grows with distinct
/// clients, not with lines.
public struct FileAggregate: Sendable {
    public struct DayKey: Hashable, Sendable {
        public var ip: IPAddress
        public var day: Int32
    }

    /// One client's day in this file.
    struct ClientDay: Sendable {
        var first: Int64
        var last: Int64
        /// (hour of day, kind, reason, status) packed as `DayCounts.Entry.key`, with counts.
        var counts: [(key: UInt32, count: Int)] = []
        var samples: [Sample] = []
    }

    /// A line reference; `priority` orders samples (the smallest are kept).
    struct Sample: Sendable {
        var priority: UInt64
        var kind: UInt8
        var reason: UInt8
        var line: Int
        var offset: UInt64
    }

    var clients = ClientDayTable()
    public var samplesPerKey: Int
    /// Hours (since the epoch) that have at least one event.
    public var hoursWithEvents: Set<Int32> = []
    public var futureEvents = 0
    public var distantEvents = 0
    private let fileKey: UInt64
    private let receivedAt: Int64
    private var lastHour: Int32 = .min

    /// Kinds whose lines are kept as evidence samples (connects and disconnects accuse
    /// nobody), as a bit mask over `EventKind.rawValue`.
    static let sampledKinds: UInt32 = [EventKind.rejected, .deferred, .authFailed, .lostConnection, .protocolError, .messageAccepted]
        .reduce(0) { $0 | 1 << UInt32($1.rawValue) }

    public init(fileSHA256: String, receivedAt: Int64, samplesPerKey: Int = 10) {
        self.samplesPerKey = samplesPerKey
        self.receivedAt = receivedAt
        fileKey = Self.fileKey(fileSHA256)
    }

    /// Adds one event judged by `status` (the registration status at the event's time).
    public mutating func add(_ event: ParsedEvent, status: RegistrationStatus) {
        guard let ip = event.clientIP else { return }
        // Events without a time cannot be placed in an hour.
        guard event.hasTime else { return }
        let time = event.time
        let hour = Int32(truncatingIfNeeded: time >= 0 ? time / 3_600_000 : (time - 3_599_999) / 3_600_000)
        let day = Int32(hour >= 0 ? hour / 24 : (hour - 23) / 24)
        let reason = event.reason?.rawValue ?? 255
        let key = UInt32(UInt8(truncatingIfNeeded: hour - day * 24)) << 24 | UInt32(event.kind.rawValue) << 16 | UInt32(reason) << 8 | UInt32(StatusCode.code(status))
        if hour != lastHour {
            hoursWithEvents.insert(hour)
            lastHour = hour
        }
        if time > receivedAt + 300_000 { futureEvents += 1 }
        if time < receivedAt - 8 * 86_400_000 { distantEvents += 1 }
        let sampled = Self.sampledKinds & (1 << UInt32(event.kind.rawValue)) != 0
        let sample = sampled ? Sample(priority: Self.priority(fileKey: fileKey, line: event.line), kind: event.kind.rawValue, reason: reason, line: event.line, offset: event.offset) : nil
        let limit = samplesPerKey
        // One lookup, mutated in place.
        clients.update(DayKey(ip: ip, day: day), make: { ClientDay(first: time, last: time) }) { entry in
            Self.update(&entry, time: time, key: key, sample: sample, limit: limit)
        }
    }

    @inline(__always)
    private static func update(_ entry: inout ClientDay, time: Int64, key: UInt32, sample: Sample?, limit: Int) {
        if time < entry.first { entry.first = time }
        if time > entry.last { entry.last = time }
        if let i = entry.counts.firstIndex(where: { $0.key == key }) {
            entry.counts[i].count += 1
        } else {
            entry.counts.append((key, 1))
        }
        guard let sample else { return }
        offer(sample, to: &entry.samples, limit: limit)
    }

    /// Keeps, per kind.reason, the `limit` samples of smallest priority.
    @inline(__always)
    private static func offer(_ sample: Sample, to list: inout [Sample], limit: Int) {
        var same = 0
        var worst = -1
        for i in list.indices where list[i].kind == sample.kind && list[i].reason == sample.reason {
            same += 1
            if worst < 0 || list[i].priority > list[worst].priority { worst = i }
        }
        if same < limit {
            list.append(sample)
        } else if sample.priority < list[worst].priority {
            list[worst] = sample
        }
    }

    /// The deterministic priority of a sampled line: a mix of the file's SHA-256 and the line
    /// number, so the same input keeps the same samples whatever the order files arrive in.
    @inline(__always)
    static func priority(fileKey: UInt64, line: Int) -> UInt64 {
        var priority = fileKey ^ (UInt64(line) &* 0x9E37_79B9_7F4A_7C15)
        priority = (priority ^ (priority >> 31)) &* 0xBF58_476D_1CE4_E5B9
        priority ^= priority >> 29
        return priority >> 1
    }

    static func fileKey(_ sha256: String) -> UInt64 { FNV1a.hash(sha256.utf8) }

    /// Calls `body` with the file's records in segment order (address bytes as SQLite
    /// compares them, then day).
    func forEachRecord(_ body: (SegmentRecord) throws -> Void) rethrows {
        // Sort plain keys, not records: no reference counting in the sort.
        var order: [(key: SegmentCodec.Key, day: Int32, index: Int)] = []
        order.reserveCapacity(clients.count)
        for (index, key) in clients.keys.enumerated() { order.append((SegmentCodec.Key(key.ip), key.day, index)) }
        order.sort { $0.key != $1.key ? $0.key < $1.key : $0.day < $1.day }
        for item in order {
            let day = clients.entries[item.index]
            let ip = clients.keys[item.index].ip
            let counts = day.counts.sorted { $0.key < $1.key }.map { DayCounts.Entry(key: $0.key, count: $0.count) }
            let samples = day.samples.sorted { ($0.kind, $0.reason, $0.priority) < ($1.kind, $1.reason, $1.priority) }
                .map { SegmentRecord.Sample(kind: $0.kind, reason: $0.reason, line: $0.line, offset: $0.offset) }
            try body(SegmentRecord(key: Array(IPKey.bytes(ip)), day: item.day, first: day.first, last: day.last, counts: counts, samples: samples))
        }
    }

    /// Hours between the first and the last event hour that have no event.
    public var gapHours: Int {
        guard let first = hoursWithEvents.min(), let last = hoursWithEvents.max() else { return 0 }
        return Int(last - first + 1) - hoursWithEvents.count
    }
}
