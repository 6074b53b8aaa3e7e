import Primitives

/// The registry zone of FORMATS.md §4 as a pure function from a query to an answer:
/// `<reversed IPv4 octets | 32 reversed IPv6 nibbles>.<zone>` → `127.0.0.2` active,
/// `127.0.0.3` suspended, `127.0.0.4` revoked, NXDOMAIN unregistered; TXT
/// `v=reg1; status=…; registrant=…[; case=…]`; SOA and NS at the apex; REFUSED outside.
public struct RegistryZone: Sendable {
    public var zone: DNSName
    /// TTL of positive answers, seconds.
    public var ttl: UInt32
    /// TTL of negative answers (the SOA minimum, RFC 2308), seconds.
    public var negativeTTL: UInt32
    /// The apex's NS set; the first is the SOA's MNAME.
    public var nameServers: [NameServer]
    public var hostmaster: DNSName
    /// Signs answers to queries with the DO bit (DNSSEC); none: the zone is unsigned.
    public var signer: ZoneSigner?

    /// The SOA's MNAME.
    public var nameServer: DNSName { nameServers[0].name }

    /// The zone's SOA serial for the registry's serial (its latest history row): the same,
    /// plus the week number when the zone is signed, so that the zone signed for
    /// secondaries each week has a serial of its own.
    public func zoneSerial(_ registrySerial: UInt32) -> UInt32 {
        guard let signer else { return registrySerial }
        return registrySerial &+ signer.periodIndex
    }

    /// The largest UDP answer without EDNS (RFC 1035) and the most we send with it.
    static let classicUDPLimit = 512
    static let ednsLimit = 1232

    public init(zone: DNSName, ttl: UInt32 = 300, negativeTTL: UInt32 = 60, nameServer: DNSName? = nil) {
        self.init(zone: zone, ttl: ttl, negativeTTL: negativeTTL, nameServers: nameServer.map { [NameServer(name: $0)] } ?? [])
    }

    /// - Parameter nameServers: the NS set (`ns.ZONE` when empty).
    public init(zone: DNSName, ttl: UInt32 = 300, negativeTTL: UInt32 = 60, nameServers: [NameServer]) {
        self.zone = zone
        self.ttl = ttl
        self.negativeTTL = negativeTTL
        self.nameServers = nameServers.isEmpty ? [NameServer(name: DNSName(labels: [Array("ns".utf8)] + zone.labels))] : nameServers
        self.hostmaster = DNSName(labels: [Array("hostmaster".utf8)] + zone.labels)
    }

    /// The address a query name asks about, or nil when the labels are no address.
    public func address(in name: DNSName) -> IPAddress?? {
        guard let prefix = name.prefix(under: zone) else { return nil }
        if prefix.isEmpty { return .some(nil) }
        let labels = Array(prefix)
        if labels.count == 4 {
            var value: UInt32 = 0
            for label in labels.reversed() {
                guard label.count <= 3, !label.isEmpty, label.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return .some(nil) }
                if label.count > 1 && label[0] == 48 { return .some(nil) }
                let octet = label.reduce(0) { $0 * 10 + Int($1 - 48) }
                guard octet <= 255 else { return .some(nil) }
                value = value << 8 | UInt32(octet)
            }
            return .some(IPAddress(v4: value))
        }
        if labels.count == 32 {
            var high: UInt64 = 0
            var low: UInt64 = 0
            for (index, label) in labels.reversed().enumerated() {
                guard label.count == 1, let nibble = IPAddress.hexValue(label[0]) else { return .some(nil) }
                if index < 16 { high = high << 4 | UInt64(nibble) } else { low = low << 4 | UInt64(nibble) }
            }
            return .some(IPAddress(v6High: high, low: low))
        }
        return .some(nil)
    }

    /// The query name for `ip` in this zone.
    public func queryName(for ip: IPAddress) -> DNSName {
        var labels: [[UInt8]] = []
        if ip.family == .v4 {
            let v = ip.v4Value
            for shift in stride(from: 0, through: 24, by: 8) { labels.append(Array(String((v >> UInt32(shift)) & 0xFF).utf8)) }
        } else {
            let hex = Array("0123456789abcdef".utf8)
            for word in [ip.low, ip.high] {
                for shift in stride(from: 0, to: 64, by: 4) { labels.append([hex[Int((word >> UInt64(shift)) & 0xF)]]) }
            }
        }
        return DNSName(labels: labels + zone.labels)
    }

    public func soaRecord(serial: UInt32) -> DNSMessage.Record {
        DNSMessage.Record(
            name: zone, type: DNSType.soa, ttl: negativeTTL,
            data: .soa(mname: nameServer, rname: hostmaster, serial: serial, refresh: 3600, retry: 600, expire: 604_800, minimum: negativeTTL))
    }

    /// Answers a query message. `state` gives the registration state of an address now.
    /// Returns nil for a message that must not be answered (a response, not a query). With
    /// a signer, an answer to a query with the DO bit is signed (`ZoneSigner`).
    public func respond(to query: DNSMessage, serial: UInt32, state: (IPAddress) -> RegistrationState) -> DNSMessage? {
        guard var response = unsignedResponse(to: query, serial: serial, state: state) else { return nil }
        guard let signer, let edns = query.edns, edns.dnssecOK, response.authoritative, let question = response.questions.first else { return response }
        if question.type == DNSType.axfr || question.type == DNSType.ixfr { return response }
        var denial: ZoneSigner.Denial?
        if response.rcode == DNSResponseCode.nameError {
            denial = .name
        } else if response.rcode == DNSResponseCode.noError, response.answers.isEmpty {
            denial = .types(types(at: question.name))
        }
        response.edns?.dnssecOK = true
        signer.sign(&response, name: question.name, denial: denial, negativeTTL: negativeTTL, compactOK: edns.compactOK)
        return response
    }

    /// The types that exist at a name that exists (for NODATA's NSEC).
    func types(at name: DNSName) -> [UInt16] {
        if name == zone { return [DNSType.soa, DNSType.ns] + (signer == nil ? [] : [DNSType.dnskey]) }
        if let server = nameServers.first(where: { $0.name == name && $0.isInside(zone) }) {
            return server.addressRecords(owner: name, ttl: ttl, v4: true, v6: true).map(\.type)
        }
        return [DNSType.a, DNSType.txt]
    }

    private func unsignedResponse(to query: DNSMessage, serial: UInt32, state: (IPAddress) -> RegistrationState) -> DNSMessage? {
        guard !query.isResponse else { return nil }
        var response = DNSMessage(id: query.id)
        response.isResponse = true
        response.opcode = query.opcode
        response.recursionDesired = query.recursionDesired
        response.questions = Array(query.questions.prefix(1))
        if query.edns != nil { response.edns = DNSMessage.EDNS(udpPayloadSize: UInt16(Self.ednsLimit)) }
        if let edns = query.edns, edns.version > 0 {
            response.edns?.extendedRcode = UInt8(DNSResponseCode.badVersion >> 4)
            response.rcode = UInt8(DNSResponseCode.badVersion & 0xF)
            return response
        }
        guard query.opcode == 0 else {
            response.rcode = DNSResponseCode.notImplemented
            return response
        }
        guard query.questions.count == 1, let question = query.questions.first else {
            response.rcode = DNSResponseCode.formatError
            return response
        }
        guard question.class == DNSClass.internet || question.class == DNSClass.any else {
            response.rcode = DNSResponseCode.refused
            return response
        }
        guard let parsed = address(in: question.name) else {
            response.rcode = DNSResponseCode.refused
            return response
        }
        response.authoritative = true
        let soa = soaRecord(serial: serial)
        // Transfers over TCP never come here (ZoneTransfer answers them): this is UDP.
        if question.type == DNSType.axfr {
            response.rcode = DNSResponseCode.refused  // RFC 5936 §4.2: AXFR is TCP only.
            return response
        }
        if question.type == DNSType.ixfr {
            response.answers = question.name == zone ? [soa] : []  // RFC 1995 §2: the SOA alone; the secondary goes on over TCP.
            if question.name != zone { response.rcode = DNSResponseCode.refused }
            return response
        }
        guard let ip = parsed else {
            if question.name == zone {
                // The apex: SOA and NS; nothing else lives there.
                if question.type == DNSType.soa || question.type == DNSType.any { response.answers.append(soa) }
                if let signer, question.type == DNSType.dnskey || question.type == DNSType.any {
                    response.answers.append(signer.dnskeyRecord(ttl: ttl))
                }
                if question.type == DNSType.ns || question.type == DNSType.any {
                    for server in nameServers {
                        response.answers.append(DNSMessage.Record(name: question.name, type: DNSType.ns, ttl: ttl, data: .ns(server.name)))
                        // The in-zone servers' addresses, so that no second query is needed.
                        if server.isInside(zone) { response.additional += server.addressRecords(ttl: ttl) }
                    }
                }
                if response.answers.isEmpty { response.authority.append(soa) }
            } else if let server = nameServers.first(where: { $0.name == question.name && $0.isInside(zone) }) {
                // An in-zone name server: its addresses (A, AAAA); any other type is NODATA.
                let any = question.type == DNSType.any
                response.answers = server.addressRecords(owner: question.name, ttl: ttl, v4: any || question.type == DNSType.a, v6: any || question.type == DNSType.aaaa)
                if response.answers.isEmpty { response.authority.append(soa) }
            } else {
                response.rcode = DNSResponseCode.nameError
                response.authority.append(soa)
            }
            return response
        }
        let answer: RegistrationState
        if ip == IPAddress(v4: 0x7F00_0002) {
            // RFC 5782 test entry.
            answer = RegistrationState(status: .active, registrant: "rfc5782-test")
        } else if ip == IPAddress(v4: 0x7F00_0001) {
            answer = .unregistered
        } else {
            answer = state(ip)
        }
        guard let code = answer.status.dnsAnswer else {
            if answer.status == .unknown {
                response.rcode = DNSResponseCode.serverFailure
            } else {
                response.rcode = DNSResponseCode.nameError
                response.authority.append(soa)
            }
            return response
        }
        let wantsA = question.type == DNSType.a || question.type == DNSType.any
        let wantsTXT = question.type == DNSType.txt || question.type == DNSType.any
        if wantsA {
            let value = UInt32(code.0) << 24 | UInt32(code.1) << 16 | UInt32(code.2) << 8 | UInt32(code.3)
            response.answers.append(DNSMessage.Record(name: question.name, type: DNSType.a, ttl: ttl, data: .a(value)))
        }
        if wantsTXT {
            var text = "v=reg1; status=\(answer.status.rawValue)"
            if let registrant = answer.registrant { text += "; registrant=\(registrant)" }
            if let caseID = answer.caseID { text += "; case=\(caseID)" }
            response.answers.append(DNSMessage.Record(name: question.name, type: DNSType.txt, ttl: ttl, data: .txt([Array(text.utf8.prefix(255))])))
        }
        if response.answers.isEmpty { response.authority.append(soa) }  // NODATA
        return response
    }

    /// The answer as bytes for UDP: over the client's size limit it is cut to the header
    /// and question with TC set, so the client retries over TCP.
    public static func udpBytes(_ response: DNSMessage, query: DNSMessage) -> [UInt8] {
        let bytes = response.encode()
        let limit = query.edns.map { max(Int($0.udpPayloadSize), classicUDPLimit) } ?? classicUDPLimit
        if bytes.count <= min(limit, ednsLimit) || bytes.count <= classicUDPLimit { return bytes }
        var cut = response
        cut.truncated = true
        cut.answers = []
        cut.authority = []
        cut.additional = []
        return cut.encode()
    }

    /// FORMERR for a packet that has at least a header; nil when not even that.
    public static func formatError(for bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        guard bytes.count >= 12, bytes[2] & 0x80 == 0 else { return nil }
        var response = DNSMessage(id: UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
        response.isResponse = true
        response.opcode = (bytes[2] >> 3) & 0xF
        response.rcode = DNSResponseCode.formatError
        return response.encode()
    }
}
