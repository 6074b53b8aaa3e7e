import NIOCore
import Primitives
import Synchronization

/// Who may transfer the zone and what they get, over TCP only: the configured networks,
/// with a TSIG signature (RFC 8945) when keys are configured; anyone else is REFUSED. AXFR
/// (RFC 5936) gets the whole zone; IXFR (RFC 1995) gets the differences from the
/// secondary's serial while that serial is at most `history` registry changes behind,
/// the SOA alone when the secondary is current, and the whole zone otherwise.
public struct ZoneTransfer: Sendable {
    public var allowed: [IPNetwork]
    /// TSIG keys: when any is set, a transfer must be signed with one of them.
    public var keys: [TSIGKey]
    /// How many registry changes (serials) behind an IXFR may start and get differences.
    public var history: UInt32
    /// The zone's records, unsigned, the SOA first, at a registry serial (nil: now); read
    /// per transfer.
    public var records: @Sendable (_ serial: UInt32?) throws -> [DNSMessage.Record]
    /// The current zone's records, unsigned, the SOA first, handed over one at a time (a
    /// whole-zone transfer encodes them as they come instead of holding them all).
    public var stream: (@Sendable (_ body: (DNSMessage.Record) throws -> Void) throws -> Void)?
    /// Signs the transferred zone (`ZoneSigner.signZone`); none: unsigned.
    public var signer: ZoneSigner?
    /// The week the signed zone was first transferred in by this process, and the registry
    /// serial then: IXFR of a signed zone starts at or after it (see `registrySerial`).
    private let period = PeriodStart()

    public static let defaultHistory: UInt32 = 100_000

    public init(
        allowed: [IPNetwork], keys: [TSIGKey] = [], history: UInt32 = defaultHistory, signer: ZoneSigner? = nil,
        records: @escaping @Sendable (_ serial: UInt32?) throws -> [DNSMessage.Record]
    ) {
        self.allowed = allowed
        self.keys = keys
        self.history = history
        self.signer = signer
        self.records = records
    }

    /// Transfers of `store`'s zone as of each transfer's time, to `allowed`. The serial is
    /// the latest registration row's id, so the zone at an older serial is the registry
    /// without the rows after it.
    public static func of(
        _ store: RegistryStore, zone: DNSName, ttl: UInt32, negativeTTL: UInt32, nameServers: [NameServer], allowed: [IPNetwork], keys: [TSIGKey] = [],
        history: UInt32 = defaultHistory, signer: ZoneSigner? = nil, clock: @escaping @Sendable () -> Int64 = { WallClock.system.nowMillis() }
    ) -> ZoneTransfer {
        @Sendable func export(serial: UInt32?) throws -> ZoneExport {
            let at = try serial ?? UInt32(truncatingIfNeeded: max(1, store.latestRecordID()))
            return ZoneExport(zone: zone, ttl: ttl, negativeTTL: negativeTTL, nameServers: nameServers, serial: at)
        }
        var transfer = ZoneTransfer(allowed: allowed, keys: keys, history: history, signer: signer) { serial in
            let export = try export(serial: serial)
            return try export.records(try store.currentRecords(at: clock(), through: Int64(export.serial)))
        }
        transfer.stream = { body in
            let export = try export(serial: nil)
            let time = clock()
            try export.forEachRecord({ try store.forEachCurrentRecord(at: time, through: Int64(export.serial), $0) }, body)
        }
        transfer.currentSOA = { try export(serial: nil).soaRecord }
        transfer.differences = { from, to, body in
            let time = clock()
            let differences = ZoneDifferences(export: try export(serial: to))
            // Up to 1,000 networks changed: only their part of the zone is read; else the whole.
            if let changed = try store.changedNetworks(after: Int64(from), through: Int64(to), limit: 1_000), let windows = ZoneDifferences.windows(changed) {
                try store.readWindows(at: time) { read in
                    try differences.forEach(merging: { try differences.merge(windows: windows, reading: read, from: Int64(from), to: Int64(to), $0) }, body)
                }
            } else {
                try differences.forEach(
                    reading: { pass in
                        try store.readCurrentRecords(at: time, through: [Int64(from), Int64(to)]) { cursors in try pass(cursors.map { $0.next }) }
                    }, body)
            }
        }
        return transfer
    }

    /// The unsigned zone's SOA now, cheaply (an IXFR from a current secondary needs no more).
    public var currentSOA: (@Sendable () throws -> DNSMessage.Record)?
    /// The unsigned zone's differences between two registry serials, one record at a time:
    /// the deletions, then nil, then the additions (`ZoneDifferences`).
    public var differences: (@Sendable (_ from: UInt32, _ to: UInt32, _ body: (DNSMessage.Record?) throws -> Void) throws -> Void)?

    /// Answers a transfer `query` (already authorised), handing each message to `emit` as
    /// it is made. An unsigned zone is streamed from the registry record by record, in
    /// messages of at most `limit` bytes, so that memory stays flat whatever its size: the
    /// whole zone, or an IXFR's differences merged from the zone at both serials. A signed
    /// zone goes through `answer(_:limit:)`.
    public func answer(_ query: DNSMessage, limit: Int = 16_000, emit: ([UInt8]) throws -> Void) throws -> (kind: Kind, records: Int, messages: Int) {
        guard signer == nil, let stream, let currentSOA, let differences else {
            let (kind, count, messages) = try answer(query, limit: limit)
            for message in messages { try emit(message) }
            return (kind, count, messages.count)
        }
        let isIXFR = query.questions.first?.type == DNSType.ixfr
        let soa = try currentSOA()
        if isIXFR, let only = Self.upToDate(query, records: [soa]) {
            // Current, or ahead: the SOA alone, without reading the zone.
            try emit(only)
            return (.current, 1, 1)
        }
        var packer = MessagePacker(query: query, limit: limit)
        if isIXFR, let base = Self.requestedSerial(query), let current = soa.soaSerial, Self.isNewer(current, than: base), current &- base <= history {
            // New SOA, old SOA, deletions, new SOA, additions, new SOA (RFC 1995 §4).
            try packer.add(soa, emit: emit)
            try packer.add(soa.withSerial(base), emit: emit)
            try differences(base, current) { record in try packer.add(record ?? soa, emit: emit) }
            try packer.add(soa, emit: emit)
            try packer.finish(emit: emit)
            return (.incremental, packer.records, packer.messages)
        }
        var first: DNSMessage.Record?
        try stream { record in
            if first == nil { first = record }
            try packer.add(record, emit: emit)
        }
        if let first { try packer.add(first, emit: emit) }
        try packer.finish(emit: emit)
        return (.whole, packer.records, packer.messages)
    }

    /// Packs records into transfer messages of at most `limit` bytes, the question in the
    /// first, and hands each over when full.
    struct MessagePacker {
        let query: DNSMessage
        let limit: Int
        var current: DNSMessage
        var size: Int
        var records = 0
        var messages = 0

        init(query: DNSMessage, limit: Int) {
            self.query = query
            self.limit = limit
            current = ZoneTransfer.response(to: query, withQuestion: true)
            size = current.encode().count
        }

        mutating func add(_ record: DNSMessage.Record, emit: ([UInt8]) throws -> Void) rethrows {
            let cost = record.wireLength
            if size + cost > limit, !current.answers.isEmpty {
                try emit(current.encode())
                messages += 1
                current = ZoneTransfer.response(to: query, withQuestion: false)
                size = current.encode().count
            }
            current.answers.append(record)
            size += cost
            records += 1
        }

        mutating func finish(emit: ([UInt8]) throws -> Void) rethrows {
            try emit(current.encode())
            messages += 1
        }
    }

    /// What a transfer sent.
    public enum Kind: String, Sendable {
        /// IXFR from the current serial: the SOA alone.
        case current
        /// IXFR: the differences.
        case incremental
        /// AXFR, or an IXFR from a serial out of the history.
        case whole
    }

    /// What became of a transfer request, as counted.
    public enum Outcome: String, CaseIterable, Sendable {
        case whole, incremental, current, refused

        init(_ kind: Kind) {
            switch kind {
            case .whole: self = .whole
            case .incremental: self = .incremental
            case .current: self = .current
            }
        }

        public var index: Int { Self.allCases.firstIndex(of: self)! }
    }

    /// The answer to a transfer `query` (already authorised): its kind, how many records
    /// it holds, and its messages, at most `limit` bytes each.
    public func answer(_ query: DNSMessage, limit: Int = 16_000) throws -> (kind: Kind, records: Int, messages: [[UInt8]]) {
        let week = signer?.periodIndex ?? 0
        let latest = try records(nil)
        let weekStart = period.first(of: week, latest: latest.first?.soaSerial ?? 0)
        let now = zone(latest, week: week)
        if let soaOnly = Self.upToDate(query, records: now) { return (.current, 1, [soaOnly]) }
        if let known = Self.requestedSerial(query), let current = latest.first?.soaSerial, let base = registrySerial(of: known, week: week, weekStart: weekStart),
            Self.isNewer(current, than: base), current &- base <= history
        {
            let differences = Self.differences(between: zone(try records(base), week: week), and: now)
            if differences.count < now.count {
                return (.incremental, differences.count + 1, Self.messages(answering: query, records: differences, limit: limit))
            }
        }
        return (.whole, now.count + 1, Self.messages(answering: query, records: now, limit: limit))
    }

    /// Unsigned records as served: signed for the week when there is a signer, the SOA's
    /// serial then the zone serial (`RegistryZone.zoneSerial`).
    private func zone(_ unsigned: [DNSMessage.Record], week: UInt32) -> [DNSMessage.Record] {
        guard let signer, var soa = unsigned.first, case .soa(let m, let r, let serial, let refresh, let retry, let expire, let minimum) = soa.data else { return unsigned }
        soa.data = .soa(mname: m, rname: r, serial: serial &+ week, refresh: refresh, retry: retry, expire: expire, minimum: minimum)
        let ttl = unsigned.first { $0.type == DNSType.ns }?.ttl ?? soa.ttl
        return signer.signZone([soa] + unsigned.dropFirst(), period: week, negativeTTL: minimum, dnskeyTTL: ttl)
    }

    /// The registry serial a secondary's zone serial `known` stands for, when its
    /// differences can be sent; nil: send the whole zone. Unsigned, they are the same. Signed,
    /// the zone serial is the registry's plus the week, so it stands for `known - week` only
    /// if the secondary took it this week, which holds when that is no older than the
    /// registry's serial at the start of the week (as this process saw it); and only Ed25519
    /// signatures are the same when made again (RFC 8032), so only they let the records a
    /// secondary holds be named for deletion.
    func registrySerial(of known: UInt32, week: UInt32, weekStart: UInt32) -> UInt32? {
        guard let signer else { return known }
        guard signer.key.algorithm == .ed25519 else { return nil }
        let base = known &- week
        return base == weekStart || Self.isNewer(base, than: weekStart) ? base : nil
    }

    /// The registry serial when this process first served a week's zone (no older than the
    /// week's true start: a safe bound).
    final class PeriodStart: Sendable {
        private let state = Mutex<(week: UInt32, serial: UInt32)?>(nil)

        func first(of week: UInt32, latest: UInt32) -> UInt32 {
            state.withLock { state in
                if state == nil || state!.week != week { state = (week, latest) }
                return state!.serial
            }
        }
    }

    /// The serial in an IXFR query's authority SOA.
    static func requestedSerial(_ query: DNSMessage) -> UInt32? {
        guard query.questions.first?.type == DNSType.ixfr else { return nil }
        return query.authority.first { $0.type == DNSType.soa }?.soaSerial
    }

    /// An IXFR difference sequence (RFC 1995 §4) without its final SOA: the new SOA, the
    /// old SOA, the records deleted, the new SOA, the records added.
    public static func differences(between old: [DNSMessage.Record], and new: [DNSMessage.Record]) -> [DNSMessage.Record] {
        guard let oldSOA = old.first, let newSOA = new.first else { return new }
        let before = Set(old.dropFirst())
        let after = Set(new.dropFirst())
        return [newSOA, oldSOA] + old.dropFirst().filter { !after.contains($0) } + [newSOA] + new.dropFirst().filter { !before.contains($0) }
    }

    /// An address (a host network) or a network, as `--allow-transfer` takes them.
    public static func network(_ text: String) -> IPNetwork? {
        if let network = try? IPNetwork(parsing: text) { return network }
        return IPAddress(text).map { IPNetwork(uncheckedAddress: $0, prefixLength: $0.family == .v4 ? 32 : 128) }
    }

    /// Whether a client at `address` may transfer the zone.
    public func permits(_ address: SocketAddress?) -> Bool {
        guard let text = address?.ipAddress, let ip = IPAddress(text) else { return false }
        return allowed.contains { $0.contains(ip) }
    }

    /// The messages of a transfer answering `query`: the records (SOA first) and the SOA
    /// again at the end, packed into messages of at most `limit` bytes; the question in the first.
    public static func messages(answering query: DNSMessage, records: [DNSMessage.Record], limit: Int = 16_000) -> [[UInt8]] {
        guard let soa = records.first else { return [] }
        var messages: [[UInt8]] = []
        var packer = MessagePacker(query: query, limit: limit)
        for record in records + [soa] { packer.add(record) { messages.append($0) } }
        packer.finish { messages.append($0) }
        return messages
    }

    /// An IXFR (RFC 1995) from a secondary that has the current serial already, or a
    /// serial ahead of it: the SOA alone (the secondary keeps what it has).
    public static func upToDate(_ query: DNSMessage, records: [DNSMessage.Record]) -> [UInt8]? {
        guard query.questions.first?.type == DNSType.ixfr, let soa = records.first, case .soa(_, _, let current, _, _, _, _) = soa.data,
            let theirs = query.authority.first(where: { $0.type == DNSType.soa }), case .soa(_, _, let known, _, _, _, _) = theirs.data,
            !isNewer(current, than: known)
        else { return nil }
        var message = response(to: query, withQuestion: true)
        message.answers = [soa]
        return message.encode()
    }

    /// Serial number arithmetic (RFC 1982): whether `a` follows `b`.
    public static func isNewer(_ a: UInt32, than b: UInt32) -> Bool {
        a != b && Int32(bitPattern: a &- b) > 0
    }

    /// REFUSED to a transfer not allowed.
    public static func refusal(to query: DNSMessage) -> [UInt8] {
        var message = response(to: query, withQuestion: true)
        message.rcode = DNSResponseCode.refused
        return message.encode()
    }

    static func response(to query: DNSMessage, withQuestion: Bool) -> DNSMessage {
        var message = DNSMessage(id: query.id)
        message.isResponse = true
        message.authoritative = true
        message.opcode = query.opcode
        if withQuestion { message.questions = Array(query.questions.prefix(1)) }
        return message
    }
}

extension DNSMessage.Record {
    /// The serial of an SOA record.
    var soaSerial: UInt32? {
        guard case .soa(_, _, let serial, _, _, _, _) = data else { return nil }
        return serial
    }

    /// An SOA record with another serial.
    func withSerial(_ serial: UInt32) -> DNSMessage.Record {
        guard case .soa(let mname, let rname, _, let refresh, let retry, let expire, let minimum) = data else { return self }
        var record = self
        record.data = .soa(mname: mname, rname: rname, serial: serial, refresh: refresh, retry: retry, expire: expire, minimum: minimum)
        return record
    }
}
