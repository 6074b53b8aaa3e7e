/// DNSSEC for answers made on the fly (RFC 4034, 4035): every RRset of an answer to a query
/// with the DO bit gets its RRSIG, made as the answer is; a name or type that does not
/// exist is denied with one NSEC record at the query name (compact denial of existence,
/// RFC 9824), so no chain of names has to exist beforehand: the primary answers from the
/// registry index, not from a zone file.
///
/// Signatures hold from an hour before the current hour for `validity`; answers made within
/// the same hour carry the same window.
///
/// For secondaries the whole zone is signed instead (`signZone`): an NSEC chain over its
/// names in canonical order and an RRSIG on every RRset, with a window of a week
/// (`period`): the zone's serial grows by one each week (`zoneSerial`), so that secondaries
/// take the re-signed zone (NOTIFY tells them).
public struct ZoneSigner: Sendable {
    public let key: DNSSECKey
    /// Seconds since 1970, now.
    public let clock: @Sendable () -> UInt32
    public static let validity: UInt32 = 14 * 86_400

    public init(key: DNSSECKey, clock: @escaping @Sendable () -> UInt32 = { UInt32(truncatingIfNeeded: TSIG.unixTime()) }) {
        self.key = key
        self.clock = clock
    }

    /// Zones signed for transfer are re-signed every `period` seconds (a week).
    public static let period: UInt32 = 7 * 86_400

    /// The number of the current week since 1970: added to the registry's serial.
    public var periodIndex: UInt32 { clock() / Self.period }

    /// The window of a zone signed for transfer in `period`: from an hour before the week
    /// begins to three weeks after (two weeks of grace for a secondary that cannot refresh).
    static func transferWindow(_ period: UInt32) -> (inception: UInt32, expiration: UInt32) {
        let start = period &* Self.period
        return (start &- 3600, start &+ 3 &* Self.period)
    }

    /// The apex's DNSKEY record.
    public func dnskeyRecord(ttl: UInt32) -> DNSMessage.Record {
        DNSMessage.Record(name: key.zone, type: DNSType.dnskey, ttl: ttl, data: .other(key.dnskeyData))
    }

    /// The validity window of signatures made now.
    var window: (inception: UInt32, expiration: UInt32) {
        let inception = clock() / 3600 * 3600 &- 3600
        return (inception, inception &+ Self.validity)
    }

    /// The RRSIG over one RRset: `records` share owner, type, class and TTL.
    public func signature(over records: [DNSMessage.Record], window: (inception: UInt32, expiration: UInt32)? = nil) -> DNSMessage.Record {
        let first = records[0]
        let (inception, expiration) = window ?? self.window
        var labels = first.name.labels.count
        if first.name.labels.first == [0x2A] { labels -= 1 }  // A wildcard's `*` is not counted.
        var data: [UInt8] = []
        Self.u16(first.type, into: &data)
        data.append(key.algorithm.rawValue)
        data.append(UInt8(labels))
        Self.u32(first.ttl, into: &data)
        Self.u32(expiration, into: &data)
        Self.u32(inception, into: &data)
        Self.u16(key.keyTag, into: &data)
        key.zone.append(to: &data)
        // The RRset in canonical form and order (RFC 4034 §6.2, §6.3).
        var owner: [UInt8] = []
        first.name.append(to: &owner)
        var signed = data
        for rdata in Set(records.map(\.data.wire)).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            signed += owner
            Self.u16(first.type, into: &signed)
            Self.u16(first.class, into: &signed)
            Self.u32(first.ttl, into: &signed)
            Self.u16(UInt16(rdata.count), into: &signed)
            signed += rdata
        }
        return DNSMessage.Record(name: first.name, type: DNSType.rrsig, class: first.class, ttl: first.ttl, data: .other(data + key.sign(signed)))
    }

    /// What a negative answer denies.
    public enum Denial: Sendable {
        /// The name does not exist.
        case name
        /// The name exists with these types only.
        case types([UInt16])
    }

    /// Signs `response` in place: an RRSIG after every RRset of the answer and authority
    /// sections and, for a negative answer, the NSEC record at `name` that denies it, with
    /// its RRSIG. A denied name is answered NOERROR, or NXDOMAIN when the query set the CO
    /// flag (RFC 9824 §3).
    public func sign(_ response: inout DNSMessage, name: DNSName, denial: Denial?, negativeTTL: UInt32, compactOK: Bool) {
        let window = self.window
        if let denial {
            var types: [UInt16] = [DNSType.rrsig, DNSType.nsec]
            switch denial {
            case .name:
                types.append(DNSType.nxname)
                if !compactOK { response.rcode = DNSResponseCode.noError }
            case .types(let present): types += present
            }
            let next = DNSName(labels: [[0]] + name.labels)
            var data: [UInt8] = []
            next.append(to: &data)
            data += Self.typeBitmap(types)
            response.authority.append(DNSMessage.Record(name: name, type: DNSType.nsec, ttl: negativeTTL, data: .other(data)))
        }
        response.answers = signed(response.answers, window: window)
        response.authority = signed(response.authority, window: window)
    }

    /// The zone for secondaries, signed (RFC 4035 §2): `records` (an export, the SOA first)
    /// with the DNSKEY at the apex, every name in canonical order (RFC 4034 §6.1) with an
    /// RRSIG after each of its RRsets, and its NSEC to the next name (the last to the apex),
    /// signed too. The SOA stays first. Signatures use the window of `period`.
    public func signZone(_ records: [DNSMessage.Record], period: UInt32, negativeTTL: UInt32, dnskeyTTL: UInt32) -> [DNSMessage.Record] {
        guard let soa = records.first else { return records }
        let window = Self.transferWindow(period)
        var byOwner: [DNSName: [DNSMessage.Record]] = [:]
        for record in records + [dnskeyRecord(ttl: dnskeyTTL)] { byOwner[record.name, default: []].append(record) }
        let owners = byOwner.keys.sorted(by: Self.canonicallyPrecedes)
        var out: [DNSMessage.Record] = []
        out.reserveCapacity(records.count * 2 + owners.count * 2)
        for (index, owner) in owners.enumerated() {
            var present = byOwner[owner]!
            if owner == soa.name {
                // The SOA first (it opens the transfer), then the rest as they came.
                present = present.filter { $0.type == DNSType.soa } + present.filter { $0.type != DNSType.soa }
            }
            var types: [UInt16] = []
            for record in present where !types.contains(record.type) { types.append(record.type) }
            for type in types {
                let set = present.filter { $0.type == type }
                out += set
                out.append(signature(over: set, window: window))
            }
            var data: [UInt8] = []
            owners[(index + 1) % owners.count].append(to: &data)
            data += Self.typeBitmap(types + [DNSType.rrsig, DNSType.nsec])
            let nsec = DNSMessage.Record(name: owner, type: DNSType.nsec, ttl: negativeTTL, data: .other(data))
            out.append(nsec)
            out.append(signature(over: [nsec], window: window))
        }
        return out
    }

    /// The canonical order of names (RFC 4034 §6.1): label by label from the right, each
    /// compared as lower-case bytes; a name sorts before the names below it.
    static func canonicallyPrecedes(_ a: DNSName, _ b: DNSName) -> Bool {
        var i = a.labels.count - 1
        var j = b.labels.count - 1
        while i >= 0, j >= 0 {
            if a.labels[i] != b.labels[j] { return a.labels[i].lexicographicallyPrecedes(b.labels[j]) }
            i -= 1
            j -= 1
        }
        return a.labels.count < b.labels.count
    }

    /// The records with an RRSIG after each RRset (consecutive records of one owner and type).
    func signed(_ records: [DNSMessage.Record], window: (inception: UInt32, expiration: UInt32)) -> [DNSMessage.Record] {
        var out: [DNSMessage.Record] = []
        var start = 0
        while start < records.count {
            var end = start + 1
            while end < records.count, records[end].name == records[start].name, records[end].type == records[start].type { end += 1 }
            let set = Array(records[start..<end])
            out += set
            if set[0].type != DNSType.rrsig { out.append(signature(over: set, window: window)) }
            start = end
        }
        return out
    }

    /// The NSEC type bitmap (RFC 4034 §4.1.2): per window of 256 types, its number, its
    /// length and the bits.
    static func typeBitmap(_ types: [UInt16]) -> [UInt8] {
        var out: [UInt8] = []
        let byWindow = Dictionary(grouping: Set(types), by: { UInt8($0 >> 8) })
        for window in byWindow.keys.sorted() {
            var bits = [UInt8](repeating: 0, count: 32)
            for type in byWindow[window]! {
                let low = Int(type & 0xFF)
                bits[low / 8] |= 0x80 >> UInt8(low % 8)
            }
            let length = (bits.lastIndex { $0 != 0 } ?? 0) + 1
            out += [window, UInt8(length)] + bits[0..<length]
        }
        return out
    }

    static func u16(_ v: UInt16, into out: inout [UInt8]) { out += [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func u32(_ v: UInt32, into out: inout [UInt8]) { out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
}
