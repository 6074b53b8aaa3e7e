import CPrefetch
import LogParsers
import Primitives
import RegistryClient

/// Everything ingest keeps of one file, built in memory while the file is parsed and
/// written in one transaction as the file's segment: per client and day, counts per (hour,
/// kind, reason, status), first and last seen, and a bounded, deterministic sample of line
/// references per kind.reason. One hash lookup per event and no allocation but the pools'
/// growth; memory grows with distinct clients, not with lines.
public struct FileAggregate: Sendable {
    /// One client's day in this file: its first four count entries inline (most clients
    /// have no more), further entries and the samples as linked lists in the aggregate's
    /// pools (no allocation per client), and the registration status that holds over a span
    /// of time, so most events need no registry lookup.
    struct ClientDay: Sendable {
        static let inlineCapacity = 4
        var ip: IPAddress
        var first: Int64
        var last: Int64
        var statusFrom: Int64 = .max
        var statusUntil: Int64 = .min
        /// Inline count entries, each `key << 32 | count`.
        var counts: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        /// Heads of the lists in `countPool` and `samplePool`, -1 for none.
        var moreCounts: Int32 = -1
        var samples: Int32 = -1
        var day: Int32
        var inlineCounts: UInt8 = 0
        var status: UInt8 = 0

        init(ip: IPAddress, day: Int32, time: Int64) {
            self.ip = ip
            self.day = day
            first = time
            last = time
        }
    }

    /// (hour of day, kind, reason, status) packed as `DayCounts.Entry.key`, with its count.
    struct CountCell: Sendable {
        var key: UInt32
        var next: Int32
        var count: Int
    }

    /// A line reference; `priority` orders samples (the smallest are kept).
    struct SampleCell: Sendable {
        var priority: UInt64
        var line: Int
        var offset: UInt64
        var kind: UInt8
        var reason: UInt8
        var next: Int32
    }

    /// Bounds on what one file may make the aggregate hold: a file beyond them is
    /// quarantined with the reason (`overflow`), never a crash or unbounded memory.
    public struct Limits: Sendable {
        /// Distinct (client, day) pairs: about 100 bytes each.
        public var maxClientDays = 1 << 25
        /// Count entries beyond each client day's first four.
        public var maxCountCells = 1 << 27
        /// Sample line references.
        public var maxSamples = 1 << 27

        public init() {}
    }

    var clients: ClientDayTable
    private let limits: Limits
    /// Why the file could not be aggregated whole (a bound of `Limits` was reached); events
    /// after that are ignored and the file must not be committed.
    public private(set) var overflow: String?
    var countPool: [CountCell] = []
    var samplePool: [SampleCell] = []
    public var samplesPerKey: Int
    /// Hours (since the epoch) that have at least one event.
    public var hoursWithEvents: Set<Int32> = []
    public var futureEvents = 0
    public var distantEvents = 0
    private let fileKey: UInt64
    private let receivedAt: Int64
    private let indexSource: LoadingIndex
    /// The index once `indexSource` has it (nil while it loads, or if it failed).
    private var index: RegistrationIndex?
    /// Why the index could not be loaded; the aggregate is then incomplete.
    public private(set) var indexFailure: (any Error)?
    private var lastHour: Int32 = .min
    /// Events not yet applied (`flush`), with what `flush` looks up ahead for them.
    var pending: [Pending] = []
    private var spans: [(status: RegistrationStatus, from: Int64, until: Int64)?] = []
    private var probes: [Int] = []
    private var needs: [Int] = []
    static let batchSize = 64
    /// How far ahead `encode` asks for entries.
    static let prefetchDistance = 16
    /// Events kept while the index loads (64 bytes each: 8 MB, a tenth of a second of
    /// parsing, about what loading 100,000 networks takes).
    static let maxPending = 1 << 17

    /// An event waiting to be applied: its client, time and place, and its count key
    /// without the status.
    struct Pending: Sendable {
        var ip: IPAddress
        var time: Int64
        var line: Int
        var offset: UInt64
        var day: Int32
        var key: UInt32
        var kind: UInt8
        var reason: UInt8
    }

    /// Kinds whose lines are kept as evidence samples (connects and disconnects accuse
    /// nobody), as a bit mask over `EventKind.rawValue`.
    static let sampledKinds: UInt32 = [EventKind.rejected, .deferred, .authFailed, .lostConnection, .protocolError, .messageAccepted]
        .reduce(0) { $0 | 1 << UInt32($1.rawValue) }

    /// - Parameter index: the registry the events' clients are judged by. While it is
    ///   still loading, events are kept (up to `maxPending`) rather than waited for.
    public init(fileSHA256: String, receivedAt: Int64, index: LoadingIndex, samplesPerKey: Int = 10, limits: Limits = Limits()) {
        self.samplesPerKey = samplesPerKey
        self.limits = limits
        clients = ClientDayTable(capacity: limits.maxClientDays)
        self.receivedAt = receivedAt
        indexSource = index
        fileKey = Self.fileKey(fileSHA256)
        pending.reserveCapacity(Self.batchSize)
    }

    /// Adds one event, judged by the registration status of its client at its time. Events
    /// are applied in batches (`flush`), in the order they came.
    @inline(__always)
    public mutating func add(_ event: ParsedEvent) {
        guard let ip = event.clientIP else { return }
        // Events without a time cannot be placed in an hour.
        guard event.hasTime else { return }
        let time = event.time
        let hour = Int32(truncatingIfNeeded: time >= 0 ? time / 3_600_000 : (time - 3_599_999) / 3_600_000)
        let day = Int32(hour >= 0 ? hour / 24 : (hour - 23) / 24)
        if hour != lastHour {
            hoursWithEvents.insert(hour)
            lastHour = hour
        }
        if time > receivedAt + 300_000 { futureEvents += 1 }
        if time < receivedAt - 8 * 86_400_000 { distantEvents += 1 }
        let reason = event.reason?.rawValue ?? 255
        let kind = event.kind.rawValue
        pending.append(
            Pending(
                ip: ip, time: time, line: event.line, offset: event.offset, day: day,
                key: UInt32(UInt8(truncatingIfNeeded: hour - day * 24)) << 24 | UInt32(kind) << 16 | UInt32(reason) << 8,
                kind: kind, reason: reason))
        if pending.count >= Self.batchSize, index != nil || pending.count >= Self.maxPending || indexSource.isReady { flush() }
    }

    /// Applies the events waiting in the batch. First what they will touch is asked for
    /// with prefetch hints, step by step for the whole batch, so that the cache misses
    /// overlap: the table slots, the entries, their sample lists, and the registry's data
    /// for each client day that has no span for the event's time yet (those spans are
    /// looked up here). Then the events are applied one by one, in order.
    public mutating func flush() {
        guard !pending.isEmpty else { return }
        if index == nil, indexFailure == nil {
            do { index = try indexSource.wait() } catch { indexFailure = error }
        }
        guard let index else {
            pending.removeAll(keepingCapacity: true)
            return
        }
        // Hints first, in steps that each need the one before: slots, then the entries
        // they hold, then those entries' sample lists.
        probes.removeAll(keepingCapacity: true)
        for p in pending {
            let slot = clients.homeSlot(p.ip, p.day)
            clients.prefetchSlot(slot)
            probes.append(slot)
        }
        for k in probes.indices {
            probes[k] = clients.entry(inSlot: probes[k])
            if probes[k] >= 0 { clients.prefetchEntry(probes[k]) }
        }
        // Which events need a registry span: not covered by their entry's, nor by the
        // previous event's (a session's lines). Their lookups go through the registry's
        // prefetch steps together.
        needs.removeAll(keepingCapacity: true)
        for (k, p) in pending.enumerated() {
            let e = probes[k]
            var covered = false
            if e >= 0 {
                let entry = clients.entries[e]
                covered = entry.day == p.day && entry.ip == p.ip && p.time >= entry.statusFrom && p.time < entry.statusUntil
                if entry.samples >= 0 { samplePool.withUnsafeBufferPointer { abuse_prefetch($0.baseAddress! + Int(entry.samples)) } }
            }
            if !covered, k > 0, pending[k - 1].ip == p.ip { covered = true }
            if !covered { needs.append(k) }
        }
        for step in 0..<RegistrationIndex.prefetchSteps {
            for k in needs { index.prefetchSpan(of: pending[k].ip, step: step) }
        }
        spans.removeAll(keepingCapacity: true)
        var nextNeed = 0
        for (k, p) in pending.enumerated() {
            if nextNeed < needs.count, needs[nextNeed] == k {
                nextNeed += 1
                spans.append(index.statusSpan(of: p.ip, at: p.time))
            } else if k > 0, let previous = spans[k - 1], pending[k - 1].ip == p.ip, p.time >= previous.from, p.time < previous.until {
                spans.append(previous)
            } else {
                spans.append(nil)
            }
        }
        for k in pending.indices { apply(pending[k], span: spans[k], index: index) }
        pending.removeAll(keepingCapacity: true)
    }

    /// - Parameter span: `index.statusSpan` of the event's client at its time, when it was
    ///   looked up ahead.
    @inline(__always)
    private mutating func apply(_ p: Pending, span known: (status: RegistrationStatus, from: Int64, until: Int64)?, index: RegistrationIndex) {
        let i = clients.index(of: p.ip, day: p.day, time: p.time)
        guard i >= 0 else {
            if overflow == nil { overflow = "more than \(limits.maxClientDays) distinct client days in one file" }
            return
        }
        var entry = clients.entries[i]
        if p.time < entry.first { entry.first = p.time }
        if p.time > entry.last { entry.last = p.time }
        if p.time < entry.statusFrom || p.time >= entry.statusUntil {
            let span = known ?? index.statusSpan(of: p.ip, at: p.time)
            entry.status = span.status.code
            entry.statusFrom = span.from
            entry.statusUntil = span.until
        }
        count(p.key | UInt32(entry.status), in: &entry)
        if Self.sampledKinds & (1 << UInt32(p.kind)) != 0 {
            offer(
                SampleCell(priority: Self.priority(fileKey: fileKey, line: p.line), line: p.line, offset: p.offset, kind: p.kind, reason: p.reason, next: -1),
                head: &entry.samples)
        }
        clients.entries[i] = entry
    }

    /// Counts one event of `key`: inline while there is room (and the count fits 32 bits),
    /// else in the pool.
    @inline(__always)
    private mutating func count(_ key: UInt32, in entry: inout ClientDay) {
        let used = Int(entry.inlineCounts)
        let placed = withUnsafeMutableBytes(of: &entry.counts) { raw -> Int in
            let inline = raw.bindMemory(to: UInt64.self)
            for k in 0..<used where UInt32(truncatingIfNeeded: inline[k] >> 32) == key {
                guard inline[k] & 0xFFFF_FFFF != 0xFFFF_FFFF else { return 0 }
                inline[k] += 1
                return 1
            }
            guard used < ClientDay.inlineCapacity else { return 0 }
            inline[used] = UInt64(key) << 32 | 1
            return 2
        }
        if placed == 2 { entry.inlineCounts += 1 }
        if placed > 0 { return }
        var c = Int(entry.moreCounts)
        while c >= 0 {
            if countPool[c].key == key {
                countPool[c].count += 1
                return
            }
            c = Int(countPool[c].next)
        }
        guard countPool.count < min(limits.maxCountCells, Int(Int32.max) - 1) else {
            if overflow == nil { overflow = "more than \(limits.maxCountCells) count entries in one file" }
            return
        }
        countPool.append(CountCell(key: key, next: entry.moreCounts, count: 1))
        entry.moreCounts = Int32(countPool.count - 1)
    }

    /// Keeps, per kind.reason, the `samplesPerKey` samples of smallest priority.
    @inline(__always)
    private mutating func offer(_ sample: SampleCell, head: inout Int32) {
        var same = 0
        var worst = -1
        var s = Int(head)
        while s >= 0 {
            let cell = samplePool[s]
            if cell.kind == sample.kind, cell.reason == sample.reason {
                same += 1
                if worst < 0 || cell.priority > samplePool[worst].priority { worst = s }
            }
            s = Int(cell.next)
        }
        if same < samplesPerKey {
            guard samplePool.count < min(limits.maxSamples, Int(Int32.max) - 1) else {
                if overflow == nil { overflow = "more than \(limits.maxSamples) sample lines in one file" }
                return
            }
            var linked = sample
            linked.next = head
            samplePool.append(linked)
            head = Int32(samplePool.count - 1)
        } else if sample.priority < samplePool[worst].priority {
            samplePool[worst].priority = sample.priority
            samplePool[worst].line = sample.line
            samplePool[worst].offset = sample.offset
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

    /// Hours between the first and the last event hour that have no event.
    public var gapHours: Int {
        guard let first = hoursWithEvents.min(), let last = hoursWithEvents.max() else { return 0 }
        return Int(last - first + 1) - hoursWithEvents.count
    }
}
