import Primitives

/// The registry zone as files other DNS servers serve (FORMATS.md §8, `registry export`):
/// a BIND master file, or rbldnsd data. Deterministic: the same registry state gives the
/// same bytes.
///
/// Longest-prefix answers, as `serve-dns` gives them, in standard records:
/// - **rbldnsd:** `ip4trie` and `ip6trie` data, whose lookups take the most specific range:
///   one line per network, whatever its length.
/// - **BIND:** a network whose prefix is octet-aligned (IPv4 /8, /16, /24) or
///   nibble-aligned (IPv6, multiples of 4) is one wildcard (`*.100.51.198.ZONE`); a host
///   (/32, /128) is one name. Any other prefix is expanded to the next aligned length
///   (a /28 is 16 names, a /20 16 wildcards, an IPv6 /33 8 wildcards), at most
///   `maxNamesPerNetwork` per network. DNS wildcards answer only names that do not exist
///   (RFC 4592), and the closest encloser decides, so a more specific registration inside
///   a wider one wins as in the registry. A /8 costs one wildcard, an IPv6 /32 one; no
///   network costs more than 128 names (an IPv4 /25 or /17) or 8 (IPv6, one bit short of
///   a nibble). A network whose status gives no answer (neither active, suspended nor
///   revoked) is left out.
public struct ZoneExport: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case bind, rbldnsd
    }

    public var zone: DNSName
    public var ttl: UInt32
    public var negativeTTL: UInt32
    /// The NS set (the first is the SOA's MNAME); the addresses of those inside the zone
    /// are written into it (glue).
    public var nameServers: [NameServer]
    public var nameServer: DNSName { nameServers[0].name }
    /// The SOA serial: increases with every change of the registry.
    public var serial: UInt32
    public var maxNamesPerNetwork: Int

    /// A network whose expansion would pass the bound.
    public struct TooWide: Error, CustomStringConvertible, Equatable {
        public var network: String
        public var names: Int
        public var bound: Int
        public var description: String {
            "\(network) would take \(names) names in a BIND zone (at most \(bound) per network): export it as rbldnsd data, or raise --max-names"
        }
    }

    public init(
        zone: DNSName, ttl: UInt32 = 300, negativeTTL: UInt32 = 60, nameServers: [NameServer] = [], serial: UInt32, maxNamesPerNetwork: Int = 65_536
    ) {
        self.zone = zone
        self.ttl = ttl
        self.negativeTTL = negativeTTL
        self.nameServers = nameServers.isEmpty ? [NameServer(name: DNSName(labels: [Array("ns".utf8)] + zone.labels))] : nameServers
        self.serial = serial
        self.maxNamesPerNetwork = maxNamesPerNetwork
    }

    /// The TXT text of a record, as `serve-dns` answers it.
    static func text(_ record: RegistrationRecord) -> String {
        var text = "v=reg1; status=\(record.registrationStatus.rawValue); registrant=\(record.registrant)"
        if let caseID = record.caseID { text += "; case=\(caseID)" }
        return String(decoding: Array(text.utf8.prefix(255)), as: UTF8.self)
    }

    // MARK: rbldnsd

    /// rbldnsd data: `ip4trie` lines first, then after `$DATASET ip6trie` the IPv6 ones
    /// (serve it as `ZONE:combined:FILE`).
    public func rbldnsd(_ records: [RegistrationRecord]) -> String {
        var out = ""
        // Writing to a string fails never.
        try! rbldnsd(Self.inZoneOrder(records)) { out += $0 }
        return out
    }

    /// rbldnsd data from registrations handed over in zone order, written piece by piece.
    public func rbldnsd(_ records: Registrations, write: (String) throws -> Void) throws {
        let zoneText = Self.relative(zone)
        let ns = Self.relative(nameServer)
        try write("; the registry zone \(zoneText) as rbldnsd data, serial \(serial); serve with ZONE:combined:FILE\n")
        try write("$SOA \(ttl) \(ns) hostmaster.\(zoneText) \(serial) 3600 600 604800 \(negativeTTL)\n")
        try write("$NS \(ttl) " + nameServers.map { Self.relative($0.name) }.joined(separator: " ") + "\n")
        try write("$DATASET ip4trie @\n127.0.0.2/32 :2:v=reg1; status=active; registrant=rfc5782-test\n")
        var inIPv6 = false
        // Both closures are only called during this call (the compiler cannot tell).
        try withoutActuallyEscaping(write) { write in
            try records { record in
                guard let code = record.registrationStatus.dnsAnswer?.3 else { return }
                if record.family == 6, !inIPv6 {
                    inIPv6 = true
                    try write("$DATASET ip6trie @\n")
                }
                try write("\(record.network) :\(code):\(Self.text(record))\n")
            }
        }
        if !inIPv6 { try write("$DATASET ip6trie @\n") }
    }

    /// Registrations handed to a body one at a time in zone order (family, address, prefix
    /// length), as `RegistryStore.forEachCurrentRecord` gives them.
    public typealias Registrations = ((RegistrationRecord) throws -> Void) throws -> Void

    /// `records` sorted in zone order, as a source.
    static func inZoneOrder(_ records: [RegistrationRecord]) -> Registrations {
        let sorted = records.sorted { a, b in
            if a.family != b.family { return a.family < b.family }
            let (x, y) = (a.ipNetwork, b.ipNetwork)
            return x.address != y.address ? x.address < y.address : x.prefixLength < y.prefixLength
        }
        return { body in for record in sorted { try body(record) } }
    }

    // MARK: Records

    /// The zone as records, the SOA first (the content of an AXFR, RFC 5936, which ends it
    /// with the SOA again): the apex SOA and NS, the name server's glue when it is inside
    /// the zone, the RFC 5782 test entry, and A and TXT for every owner `answers` gives.
    public func records(_ registry: [RegistrationRecord]) throws -> [DNSMessage.Record] {
        var out: [DNSMessage.Record] = []
        try forEachRecord(Self.inZoneOrder(registry)) { out.append($0) }
        return out
    }

    /// The same records, one at a time, from registrations handed over in zone order,
    /// without holding them: a transfer of a large zone encodes each as it comes.
    public func forEachRecord(_ registry: Registrations, _ body: (DNSMessage.Record) throws -> Void) throws {
        try body(soaRecord)
        for server in nameServers { try body(DNSMessage.Record(name: zone, type: DNSType.ns, ttl: ttl, data: .ns(server.name))) }
        for server in nameServers where server.isInside(zone) {
            for record in server.addressRecords(ttl: ttl) { try body(record) }
        }
        let test = Entry(family: 4, address: IPAddress(v4: 0x7F00_0002), level: 4, isWildcard: false, code: 2, text: "v=reg1; status=active; registrant=rfc5782-test", length: 32)
        for record in records(of: test) { try body(record) }
        try forEachAnswer(registry) { entry in
            for record in records(of: entry) { try body(record) }
        }
    }

    public var soaRecord: DNSMessage.Record {
        DNSMessage.Record(
            name: zone, type: DNSType.soa, ttl: negativeTTL,
            data: .soa(
                mname: nameServer, rname: DNSName(labels: [Array("hostmaster".utf8)] + zone.labels), serial: serial, refresh: 3600, retry: 600, expire: 604_800,
                minimum: negativeTTL))
    }

    // MARK: BIND

    /// A BIND master file (RFC 1035 §5).
    public func bind(_ records: [RegistrationRecord]) throws -> String {
        var out = ""
        try bind(Self.inZoneOrder(records)) { out += $0 }
        return out
    }

    /// A BIND master file from registrations handed over in zone order, written piece by
    /// piece.
    public func bind(_ records: Registrations, write: (String) throws -> Void) throws {
        let origin = Self.relative(zone)
        let ns = Self.relative(nameServer)
        var head = "; the registry zone \(origin) (FORMATS.md §4), serial \(serial)\n"
        head += "$ORIGIN \(origin).\n$TTL \(ttl)\n"
        head += "@ \(negativeTTL) IN SOA \(ns). hostmaster.\(origin). \(serial) 3600 600 604800 \(negativeTTL)\n"
        for server in nameServers { head += "@ IN NS \(Self.relative(server.name)).\n" }
        for server in nameServers where server.isInside(zone) {
            let owner = server.name.prefix(under: zone)!.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ".")
            for address in server.addresses { head += "\(owner) IN \(address.family == .v4 ? "A" : "AAAA") \(address)\n" }
        }
        head += "2.0.0.127 IN A 127.0.0.2\n2.0.0.127 IN TXT \"v=reg1; status=active; registrant=rfc5782-test\"\n"
        try write(head)
        try forEachAnswer(records) { entry in
            try write("\(entry.owner) IN A 127.0.0.\(entry.code)\n\(entry.owner) IN TXT \(Self.quoted(entry.text))\n")
        }
    }

    /// One owner name (relative to the zone) and what it answers.
    public struct Entry: Sendable, Equatable {
        public var code: UInt8
        public var text: String
        /// The prefix length of the network the answer is of.
        var length: Int
        /// The name: its family, its address (the prefix's, for a wildcard), its depth in
        /// labels below the zone, and whether it is a wildcard; zone order is family, then
        /// address, then depth (a wildcard before the names below it).
        var family: Int
        var address: IPAddress
        var level: Int
        var isWildcard: Bool

        init(family: Int, address: IPAddress, level: Int, isWildcard: Bool, code: UInt8, text: String, length: Int) {
            self.family = family
            self.address = address
            self.level = level
            self.isWildcard = isWildcard
            self.code = code
            self.text = text
            self.length = length
        }

        /// The owner name's labels relative to the zone, made when asked for: a transfer's
        /// merge compares names by address.
        var labels: [[UInt8]] {
            let labels = ZoneExport.reversedLabelBytes(address, keep: level, v4: family == 4)
            return isWildcard ? [Array("*".utf8)] + labels : labels
        }

        /// The owner name relative to the zone (`*.100.51.198`, `20.100.51.198`).
        public var owner: String {
            labels.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ".")
        }

        /// Whether this name comes before `other` in zone order.
        func precedes(_ other: Entry) -> Bool {
            (family, address, level) < (other.family, other.address, other.level)
        }
    }

    /// The A and TXT records of one name.
    func records(of entry: Entry) -> [DNSMessage.Record] {
        let name = DNSName(labels: entry.labels + zone.labels)
        return [
            DNSMessage.Record(name: name, type: DNSType.a, ttl: ttl, data: .a(0x7F00_0000 | UInt32(entry.code))),
            DNSMessage.Record(name: name, type: DNSType.txt, ttl: ttl, data: .txt([Array(entry.text.utf8)])),
        ]
    }

    /// Every owner name and its answer, so that a standard server answers each address as
    /// the registry does (its longest registered prefix):
    /// - where networks expand to the same name, the longest prefix keeps it (a host
    ///   inside an expanded /28);
    /// - a more specific network creates empty non-terminals (RFC 4592) that would hide the
    ///   wildcard of a wider one: each gets a wildcard of its own with the answer of the
    ///   nearest wildcard above it ("wildcard filling").
    /// IPv4 and IPv6 are filled apart; they share the zone, so an IPv4 /8 or /16 whose
    /// labels are all single digits (`*.2`, `*.0.2`) also answers IPv6 names below those
    /// nibbles: the one known difference from serve-dns, which tells the families apart by
    /// the number of labels. In zone order: IPv4 then IPv6, each in address order, a name
    /// after the wildcards above it.
    public func answers(_ records: [RegistrationRecord]) throws -> [Entry] {
        var entries: [Entry] = []
        try forEachAnswer(Self.inZoneOrder(records)) { entries.append($0) }
        return entries
    }

    /// The same owners and answers handed over one at a time (`ZoneAnswerStream`), from
    /// registrations in zone order, holding only the networks around the current one.
    public func forEachAnswer(_ records: Registrations, _ body: (Entry) throws -> Void) throws {
        var stream = ZoneAnswerStream(export: self)
        try withoutActuallyEscaping(body) { body in
            try records { record in try stream.add(record, emit: body) }
        }
        try stream.finish(emit: body)
    }

    /// The owner names (relative to the zone) that answer for every address of `network`.
    public func owners(_ network: IPNetwork) throws(TooWide) -> [String] {
        let v4 = network.address.family == .v4
        let unit = v4 ? 8 : 4
        let bits = v4 ? 32 : 128
        let (aligned, count) = try alignment(of: network)
        var names: [String] = []
        names.reserveCapacity(count)
        for k in 0..<count {
            // The k-th aligned sub-network: k placed in the bits just after the prefix.
            let address = Self.address(network.address, adding: UInt64(k), at: bits - aligned)
            let labels = Self.reversedLabels(address, keep: aligned / unit, v4: v4)
            names.append(aligned == bits ? labels : (labels.isEmpty ? "*" : "*." + labels))
        }
        return names
    }

    /// The prefix length `network` expands to (the next octet or nibble boundary, or a host)
    /// and how many names that takes.
    func alignment(of network: IPNetwork) throws(TooWide) -> (aligned: Int, count: Int) {
        let unit = network.address.family == .v4 ? 8 : 4
        let bits = network.address.family == .v4 ? 32 : 128
        let length = network.prefixLength
        let aligned = length == bits ? bits : (length + unit - 1) / unit * unit
        let count = 1 << (aligned - length)
        guard count <= maxNamesPerNetwork else { throw TooWide(network: network.description, names: count, bound: maxNamesPerNetwork) }
        return (aligned, count)
    }

    /// `address` + `value << shift`, within the family's bits.
    static func address(_ address: IPAddress, adding value: UInt64, at shift: Int) -> IPAddress {
        if address.family == .v4 { return IPAddress(v4: address.v4Value | UInt32(truncatingIfNeeded: value << UInt64(shift))) }
        if shift >= 64 { return IPAddress(v6High: address.high | value << UInt64(shift - 64), low: address.low) }
        let low = address.low | value << UInt64(shift)
        let carry = shift == 0 ? 0 : value >> UInt64(64 - shift)
        return IPAddress(v6High: address.high | carry, low: low)
    }

    /// The first `keep` octets (IPv4) or nibbles (IPv6) of `address`, reversed and dotted.
    static func reversedLabels(_ address: IPAddress, keep: Int, v4: Bool) -> String {
        reversedLabelBytes(address, keep: keep, v4: v4).map { String(decoding: $0, as: UTF8.self) }.joined(separator: ".")
    }

    /// The same labels as bytes, as a DNS name holds them (a transfer builds names from them).
    static func reversedLabelBytes(_ address: IPAddress, keep: Int, v4: Bool) -> [[UInt8]] {
        var labels: [[UInt8]] = []
        labels.reserveCapacity(keep)
        if v4 {
            let value = address.v4Value
            for i in 0..<keep { labels.append(Array(String((value >> UInt32(24 - 8 * i)) & 0xFF).utf8)) }
        } else {
            let hex = Array("0123456789abcdef".utf8)
            for i in 0..<keep {
                let word = i < 16 ? address.high : address.low
                let shift = 60 - 4 * (i % 16)
                labels.append([hex[Int((word >> UInt64(shift)) & 0xF)]])
            }
        }
        return labels.reversed()
    }

    /// A name without its final dot.
    static func relative(_ name: DNSName) -> String {
        let text = name.description
        return text == "." ? "" : String(text.dropLast())
    }

    /// A TXT string in master-file syntax.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"", "\\": out += "\\" + String(scalar)
            case " "..."~": out.unicodeScalars.append(scalar)
            default:
                for byte in String(scalar).utf8 { out += "\\" + String(format3(byte)) }
            }
        }
        return out + "\""
    }

    private static func format3(_ byte: UInt8) -> String {
        let digits = String(byte)
        return String(repeating: "0", count: 3 - digits.count) + digits
    }
}
