import CPrefetch
import Primitives

/// The registry in memory for bulk use: longest-prefix match over IPv4 and IPv6 with each
/// network's full history, answering "what was this address's status at time T" without
/// touching the database. Immutable once built; share it freely between threads.
public final class RegistrationIndex: Sendable {
    let v4: IntervalTable<UInt32>
    let v6: IntervalTable<UInt128>
    // History, grouped per network, sorted by validFrom (then insertion order).
    let validFrom: [Int64]
    let statuses: [UInt8]
    let registrantRefs: [Int32]
    let caseRefs: [Int32]
    let strings: [String]

    /// Networks indexed (IPv4 and IPv6).
    public var networkCount: Int { v4.networks.count + v6.networks.count }
    /// History rows indexed.
    public var historyCount: Int { validFrom.count }

    /// Builds the index from history rows in any order.
    public convenience init(rows: [IndexRow]) {
        var sorted = rows
        sorted.sort { a, b in
            if a.network.address.family != b.network.address.family { return a.network.address.family == .v4 }
            if a.network.address != b.network.address { return a.network.address < b.network.address }
            if a.network.prefixLength != b.network.prefixLength { return a.network.prefixLength < b.network.prefixLength }
            return a.validFrom < b.validFrom
        }
        self.init(sortedRows: sorted)
    }

    /// Builds from rows in a database's index order (family, then the address's two words
    /// as signed integers, prefix length, validFrom, id): only the IPv6 part, whose words may
    /// have their top bit set, is sorted again, unsigned (a sort of a few percent of the
    /// rows instead of the database's of all of them).
    convenience init(signedOrderRows rows: consuming [IndexRow]) {
        if let firstV6 = rows.firstIndex(where: { $0.network.address.family == .v6 }) {
            rows[firstV6...].sort { a, b in
                if a.network.address != b.network.address { return a.network.address < b.network.address }
                if a.network.prefixLength != b.network.prefixLength { return a.network.prefixLength < b.network.prefixLength }
                return a.validFrom < b.validFrom
            }
        }
        self.init(sortedRows: rows)
    }

    /// From its parts (`init(archived:)`): the networks in order, each with its history
    /// range, and the history arrays.
    init(
        v4Networks: [IntervalTable<UInt32>.Network], v6Networks: [IntervalTable<UInt128>.Network], validFrom: [Int64], statuses: [UInt8],
        registrantRefs: [Int32], caseRefs: [Int32], strings: [String]
    ) {
        v4 = IntervalTable(sorted: v4Networks, bucketBits: 20)
        v6 = IntervalTable(sorted: v6Networks, bucketBits: 16)
        self.validFrom = validFrom
        self.statuses = statuses
        self.registrantRefs = registrantRefs
        self.caseRefs = caseRefs
        self.strings = strings
    }

    /// Builds from rows sorted by family (v4 first), network address, prefix length, then
    /// validFrom (ties in insertion order).
    public convenience init(sortedRows rows: [IndexRow]) {
        var validFrom: [Int64] = []
        var statuses: [UInt8] = []
        var registrantRefs: [Int32] = []
        var caseRefs: [Int32] = []
        var strings: [String] = []
        var interned: [String: Int32] = [:]
        validFrom.reserveCapacity(rows.count)
        statuses.reserveCapacity(rows.count)
        registrantRefs.reserveCapacity(rows.count)
        caseRefs.reserveCapacity(rows.count)
        func intern(_ text: String) -> Int32 {
            if let ref = interned[text] { return ref }
            let ref = Int32(strings.count)
            strings.append(text)
            interned[text] = ref
            return ref
        }
        var v4Networks: [IntervalTable<UInt32>.Network] = []
        var v6Networks: [IntervalTable<UInt128>.Network] = []
        var i = 0
        while i < rows.count {
            let network = rows[i].network
            let start = validFrom.count
            while i < rows.count, rows[i].network == network {
                validFrom.append(rows[i].validFrom)
                // A row whose status is no registration status (a damaged database) reads as
                // unknown, never as active: no rule acts on it.
                statuses.append(RegistrationStatus.recordable.contains(rows[i].status) ? rows[i].status.code : RegistrationStatus.unknown.code)
                registrantRefs.append(intern(rows[i].registrant))
                caseRefs.append(rows[i].caseID.map(intern) ?? -1)
                i += 1
            }
            let count = Int32(validFrom.count - start)
            if network.address.family == .v4 {
                let first = network.address.v4Value
                let hostBits = 32 - network.prefixLength
                let last = hostBits == 32 ? UInt32.max : first | ((UInt32(1) << UInt32(hostBits)) &- 1)
                v4Networks.append(.init(first: first, last: last, prefixLength: UInt8(network.prefixLength), parent: -1, historyStart: Int32(start), historyCount: count))
            } else {
                let first = UInt128(network.address.high) << 64 | UInt128(network.address.low)
                let hostBits = 128 - network.prefixLength
                let last = hostBits == 128 ? UInt128.max : first | ((UInt128(1) << UInt128(hostBits)) &- 1)
                v6Networks.append(.init(first: first, last: last, prefixLength: UInt8(network.prefixLength), parent: -1, historyStart: Int32(start), historyCount: count))
            }
        }
        self.init(
            v4Networks: v4Networks, v6Networks: v6Networks, validFrom: validFrom, statuses: statuses, registrantRefs: registrantRefs, caseRefs: caseRefs,
            strings: strings)
    }

    @inline(__always)
    private static func status(_ code: UInt8) -> RegistrationStatus { RegistrationStatus(code: code) ?? .unknown }

    /// The status of `ip` at `time` (UTC ms): the longest registered prefix that already
    /// existed then, with the state in force then. The hot path of ingest.
    @inline(__always)
    public func status(of ip: IPAddress, at time: Int64) -> RegistrationStatus {
        let row = rowIndex(ip, time)
        guard row >= 0 else { return .unregistered }
        return Self.status(statuses[row])
    }

    /// The status of `ip` at `time` and the span `[from, until)` around `time` in which no
    /// covering network's history changes, so the status holds for every time in it (an
    /// address no network covers is unregistered forever). Lets a caller judge a run of
    /// events of one client with one lookup.
    public func statusSpan(of ip: IPAddress, at time: Int64) -> (status: RegistrationStatus, from: Int64, until: Int64) {
        var span = Span()
        if ip.family == .v4 {
            var n = v4.innermost(ip.v4Value)
            while n >= 0 {
                let network = v4.networks[Int(n)]
                narrow(&span, network.historyStart, network.historyCount, time)
                n = network.parent
            }
        } else {
            var n = v6.innermost(UInt128(ip.high) << 64 | UInt128(ip.low))
            while n >= 0 {
                let network = v6.networks[Int(n)]
                narrow(&span, network.historyStart, network.historyCount, time)
                n = network.parent
            }
        }
        return (span.row >= 0 ? Self.status(statuses[span.row]) : .unregistered, span.from, span.until)
    }

    /// Hints for `statusSpan(of:at:)`, in steps 0 through `prefetchSteps - 1`: give every
    /// step for a batch of addresses before the next (each reads what the one before asked
    /// for), then look them up; their cache misses overlap instead of following each other.
    public func prefetchSpan(of ip: IPAddress, step: Int) {
        if step < 4 {
            if ip.family == .v4 { v4.prefetch(ip.v4Value, step: step) } else { v6.prefetch(UInt128(ip.high) << 64 | UInt128(ip.low), step: step) }
            return
        }
        let n = ip.family == .v4 ? v4.innermost(ip.v4Value) : v6.innermost(UInt128(ip.high) << 64 | UInt128(ip.low))
        guard n >= 0 else { return }
        let start = Int(ip.family == .v4 ? v4.networks[Int(n)].historyStart : v6.networks[Int(n)].historyStart)
        validFrom.withUnsafeBufferPointer { abuse_prefetch($0.baseAddress! + start) }
        statuses.withUnsafeBufferPointer { abuse_prefetch($0.baseAddress! + start) }
    }

    /// The number of steps of `prefetchSpan(of:step:)`.
    public static let prefetchSteps = 5

    private struct Span {
        var from = Int64.min
        var until = Int64.max
        /// The row in force (of the innermost network that has one), -1 for none.
        var row = -1
    }

    /// Narrows `span` by one covering network's history around `time`.
    @inline(__always)
    private func narrow(_ span: inout Span, _ historyStart: Int32, _ historyCount: Int32, _ time: Int64) {
        let start = Int(historyStart)
        var k = start + Int(historyCount) - 1
        while k >= start, validFrom[k] > time {
            span.until = min(span.until, validFrom[k])
            k -= 1
        }
        if k >= start {
            span.from = max(span.from, validFrom[k])
            if span.row < 0 { span.row = k }
        }
    }

    /// The history row in force, or -1: the lean path of `status(of:at:)`.
    @inline(__always)
    private func rowIndex(_ ip: IPAddress, _ time: Int64) -> Int {
        if ip.family == .v4 {
            return v4Row(from: v4.innermost(ip.v4Value), time)?.row ?? -1
        } else {
            var n = v6.innermost(UInt128(ip.high) << 64 | UInt128(ip.low))
            while n >= 0 {
                let network = v6.networks[Int(n)]
                if let row = latest(network.historyStart, network.historyCount, time) { return row }
                n = network.parent
            }
        }
        return -1
    }

    /// The full state of `ip` at `time`.
    public func state(of ip: IPAddress, at time: Int64) -> RegistrationState {
        guard let found = historyRow(ip, time) else { return .unregistered }
        let caseRef = caseRefs[found.row]
        return RegistrationState(
            status: Self.status(statuses[found.row]),
            network: found.network,
            registrant: strings[Int(registrantRefs[found.row])],
            caseID: caseRef >= 0 ? strings[Int(caseRef)] : nil,
            validFrom: validFrom[found.row]
        )
    }

    /// The status of `ip` at `time` and the prefix length of the network that decides it
    /// (-1 when none does): what the DNS server needs, without building strings.
    public func decidingStatus(of ip: IPAddress, at time: Int64) -> (status: RegistrationStatus, prefixLength: Int) {
        guard let found = historyRow(ip, time) else { return (.unregistered, -1) }
        return (Self.status(statuses[found.row]), found.network.prefixLength)
    }

    /// `decidingStatus(of:at:)` for a batch of IPv4 addresses (their 32-bit values) at one
    /// time, into `decided`; `work` has room for one entry per address. The cache misses of
    /// the batch's lookups overlap (`IntervalTable.innermost(batch:into:)`, then the
    /// histories), which is what a DNS server answering a batch of datagrams needs.
    public func decidingStatuses(
        ofV4 keys: UnsafeBufferPointer<UInt32>, at time: Int64, work: UnsafeMutableBufferPointer<Int32>,
        into decided: UnsafeMutableBufferPointer<(status: RegistrationStatus, prefixLength: Int)>
    ) {
        precondition(work.count >= keys.count && decided.count >= keys.count)
        v4.innermost(batch: keys, into: work)
        v4.networks.withUnsafeBufferPointer { nets in
            validFrom.withUnsafeBufferPointer { times in
                statuses.withUnsafeBufferPointer { codes in
                    for k in 0..<keys.count where work[k] >= 0 {
                        let start = Int(nets[Int(work[k])].historyStart)
                        abuse_prefetch(times.baseAddress! + start)
                        abuse_prefetch(codes.baseAddress! + start)
                    }
                }
            }
        }
        for k in 0..<keys.count {
            if let (row, prefixLength) = v4Row(from: work[k], time) {
                decided[k] = (Self.status(statuses[row]), prefixLength)
            } else {
                decided[k] = (.unregistered, -1)
            }
        }
    }

    /// The history row in force at `time` of IPv4 network `n` or the nearest enclosing
    /// network that has one, with that network's prefix length.
    @inline(__always)
    private func v4Row(from n: Int32, _ time: Int64) -> (row: Int, prefixLength: Int)? {
        var n = n
        while n >= 0 {
            let network = v4.networks[Int(n)]
            if let row = latest(network.historyStart, network.historyCount, time) { return (row, Int(network.prefixLength)) }
            n = network.parent
        }
        return nil
    }

    @inline(__always)
    private func historyRow(_ ip: IPAddress, _ time: Int64) -> (row: Int, network: IPNetwork)? {
        if ip.family == .v4 {
            guard let (row, prefixLength) = v4Row(from: v4.innermost(ip.v4Value), time) else { return nil }
            return (row, IPNetwork(uncheckedAddress: ip, prefixLength: prefixLength))
        } else {
            var n = v6.innermost(UInt128(ip.high) << 64 | UInt128(ip.low))
            while n >= 0 {
                let network = v6.networks[Int(n)]
                if let row = latest(network.historyStart, network.historyCount, time) {
                    return (row, IPNetwork(uncheckedAddress: ip, prefixLength: Int(network.prefixLength)))
                }
                n = network.parent
            }
        }
        return nil
    }

    /// The last history row with validFrom ≤ time, if any.
    @inline(__always)
    private func latest(_ start: Int32, _ count: Int32, _ time: Int64) -> Int? {
        validFrom.withUnsafeBufferPointer { times in
            var k = Int(start) + Int(count) - 1
            while k >= Int(start) {
                if times[k] <= time { return k }
                k -= 1
            }
            return nil
        }
    }

    /// Approximate bytes held (for the benchmark's bytes-per-network figure).
    public var memoryBytes: Int {
        v4.memoryBytes + v6.memoryBytes + validFrom.capacity * 8 + statuses.capacity + registrantRefs.capacity * 4
            + caseRefs.capacity * 4 + strings.reduce(0) { $0 + MemoryLayout<String>.stride + ($1.utf8.count > 15 ? $1.utf8.count + 32 : 0) }
    }
}
