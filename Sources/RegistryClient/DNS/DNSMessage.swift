/// A DNS message as the registry's server and client need it: header, the question,
/// answer records (A, TXT, SOA, other kept raw) and the EDNS OPT record.
public struct DNSMessage: Sendable, Equatable {
    public struct Question: Sendable, Equatable {
        /// The name, case folded (what lookups compare).
        public var name: DNSName
        public var type: UInt16
        public var `class`: UInt16
        /// The name's labels with the case they were sent in: a response echoes them
        /// exactly (resolvers that randomise case, DNS 0x20, check it). Nil: `name`'s.
        public var asSent: [[UInt8]]?

        public init(name: DNSName, type: UInt16, class: UInt16 = DNSClass.internet, asSent: [[UInt8]]? = nil) {
            self.name = name
            self.type = type
            self.class = `class`
            self.asSent = asSent
        }

        /// Wire form of the name as sent.
        func appendName(to out: inout [UInt8]) {
            guard let asSent else { return name.append(to: &out) }
            for label in asSent {
                out.append(UInt8(label.count))
                out.append(contentsOf: label)
            }
            out.append(0)
        }
    }

    public enum RecordData: Sendable, Hashable {
        case a(UInt32)
        case txt([[UInt8]])
        case ns(DNSName)
        case soa(mname: DNSName, rname: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32)
        case other([UInt8])

        /// The RDATA in wire form, names uncompressed and lower case: also the canonical
        /// form DNSSEC signs (RFC 4034 §6.2).
        public var wire: [UInt8] {
            var out: [UInt8] = []
            func u32(_ v: UInt32) { out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
            switch self {
            case .a(let v): u32(v)
            case .txt(let strings):
                for s in strings {
                    out.append(UInt8(min(s.count, 255)))
                    out.append(contentsOf: s.prefix(255))
                }
            case .ns(let n): n.append(to: &out)
            case .soa(let mname, let rname, let serial, let refresh, let retry, let expire, let minimum):
                mname.append(to: &out)
                rname.append(to: &out)
                for v in [serial, refresh, retry, expire, minimum] { u32(v) }
            case .other(let bytes): out = bytes
            }
            return out
        }

        /// The length of `wire`, without making it.
        public var wireLength: Int {
            switch self {
            case .a: 4
            case .txt(let strings): strings.reduce(0) { $0 + 1 + min($1.count, 255) }
            case .ns(let n): n.wireLength
            case .soa(let mname, let rname, _, _, _, _, _): mname.wireLength + rname.wireLength + 20
            case .other(let bytes): bytes.count
            }
        }
    }

    public struct Record: Sendable, Hashable {
        public var name: DNSName
        public var type: UInt16
        public var `class`: UInt16
        public var ttl: UInt32
        public var data: RecordData

        public init(name: DNSName, type: UInt16, class: UInt16 = DNSClass.internet, ttl: UInt32, data: RecordData) {
            self.name = name
            self.type = type
            self.class = `class`
            self.ttl = ttl
            self.data = data
        }

        /// The length of the record in wire form, its name uncompressed.
        public var wireLength: Int { name.wireLength + 10 + data.wireLength }
    }

    /// EDNS(0) parameters from an OPT record.
    public struct EDNS: Sendable, Equatable {
        public var udpPayloadSize: UInt16
        public var extendedRcode: UInt8
        public var version: UInt8
        public var dnssecOK: Bool
        /// The CO flag (RFC 9824): the client takes NXDOMAIN with a compact denial.
        public var compactOK = false

        public init(udpPayloadSize: UInt16 = 1232, extendedRcode: UInt8 = 0, version: UInt8 = 0, dnssecOK: Bool = false) {
            self.udpPayloadSize = udpPayloadSize
            self.extendedRcode = extendedRcode
            self.version = version
            self.dnssecOK = dnssecOK
        }
    }

    public var id: UInt16
    public var isResponse = false
    public var opcode: UInt8 = 0
    public var authoritative = false
    public var truncated = false
    public var recursionDesired = false
    public var recursionAvailable = false
    public var rcode: UInt8 = 0
    public var questions: [Question] = []
    public var answers: [Record] = []
    public var authority: [Record] = []
    public var additional: [Record] = []
    public var edns: EDNS?

    public init(id: UInt16) {
        self.id = id
    }

    /// Parses a whole message held in an array.
    public init(parsing bytes: [UInt8], recordsPerSection: Int = 64) throws(DNSWireError) {
        let result: Result<DNSMessage, DNSWireError> = bytes.withUnsafeBytes { raw in
            do throws(DNSWireError) {
                return .success(try DNSMessage(parsing: raw, recordsPerSection: recordsPerSection))
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// Parses a whole message. Bounded: at most `recordsPerSection` records per section
    /// are kept (all are checked); a transfer's reader keeps more than a query's.
    public init(parsing bytes: UnsafeRawBufferPointer, recordsPerSection: Int = 64) throws(DNSWireError) {
        var r = DNSReader(bytes)
        id = try r.u16()
        let flags = try r.u16()
        isResponse = flags & 0x8000 != 0
        opcode = UInt8((flags >> 11) & 0xF)
        authoritative = flags & 0x0400 != 0
        truncated = flags & 0x0200 != 0
        recursionDesired = flags & 0x0100 != 0
        recursionAvailable = flags & 0x0080 != 0
        rcode = UInt8(flags & 0xF)
        let qd = try r.u16()
        let an = try r.u16()
        let ns = try r.u16()
        let ar = try r.u16()
        // A question takes at least 5 bytes and a record 11: refuse impossible counts early.
        guard Int(qd) * 5 + (Int(an) + Int(ns) + Int(ar)) * 11 <= bytes.count - 12 else { throw .truncated }
        for _ in 0..<qd {
            let (name, asSent) = try r.dnsNameAsSent()
            let type = try r.u16()
            let klass = try r.u16()
            if questions.count < 64 { questions.append(Question(name: name, type: type, class: klass, asSent: asSent == name.labels ? nil : asSent)) }
        }
        for section in 0..<3 {
            let count = [an, ns, ar][section]
            for _ in 0..<count {
                let name = try r.dnsName()
                let type = try r.u16()
                let klass = try r.u16()
                let ttl = try r.u32()
                let length = Int(try r.u16())
                let start = r.position
                try r.skip(length)
                if type == DNSType.opt {
                    edns = EDNS(udpPayloadSize: klass, extendedRcode: UInt8(ttl >> 24), version: UInt8((ttl >> 16) & 0xFF), dnssecOK: ttl & 0x8000 != 0)
                    edns?.compactOK = ttl & 0x4000 != 0
                    continue
                }
                let data = try Self.recordData(bytes, type: type, start: start, length: length)
                let record = Record(name: name, type: type, class: klass, ttl: ttl, data: data)
                switch section {
                case 0: if answers.count < recordsPerSection { answers.append(record) }
                case 1: if authority.count < recordsPerSection { authority.append(record) }
                default: if additional.count < recordsPerSection { additional.append(record) }
                }
            }
        }
    }

    private static func recordData(_ bytes: UnsafeRawBufferPointer, type: UInt16, start: Int, length: Int) throws(DNSWireError) -> RecordData {
        let end = start + length
        switch type {
        case DNSType.a where length == 4:
            var r = DNSReader(bytes, at: start)
            return .a(try r.u32())
        case DNSType.txt:
            var strings: [[UInt8]] = []
            var i = start
            while i < end {
                let count = Int(bytes[i])
                guard i + 1 + count <= end else { throw .truncated }
                strings.append(Array(bytes[(i + 1)..<(i + 1 + count)]))
                i += 1 + count
            }
            return .txt(strings)
        case DNSType.ns:
            var r = DNSReader(bytes, at: start)
            return .ns(try r.dnsName())
        case DNSType.soa:
            var r = DNSReader(bytes, at: start)
            let mname = try r.dnsName()
            let rname = try r.dnsName()
            let serial = try r.u32()
            let refresh = try r.u32()
            let retry = try r.u32()
            let expire = try r.u32()
            let minimum = try r.u32()
            guard r.position <= end else { throw .truncated }
            return .soa(mname: mname, rname: rname, serial: serial, refresh: refresh, retry: retry, expire: expire, minimum: minimum)
        default:
            return .other(Array(bytes[start..<end]))
        }
    }

    /// The extended response code (RFC 6891): the OPT record's high bits and the header's.
    public var extendedRcode: UInt16 { UInt16(edns?.extendedRcode ?? 0) << 4 | UInt16(rcode) }

    /// Wire form. Names of records equal to the first question's name are compressed to
    /// a pointer to it.
    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        func u16(_ v: UInt16) { out.append(UInt8(v >> 8)); out.append(UInt8(v & 0xFF)) }
        func u32(_ v: UInt32) { u16(UInt16(v >> 16)); u16(UInt16(v & 0xFFFF)) }
        u16(id)
        var flags: UInt16 = 0
        if isResponse { flags |= 0x8000 }
        flags |= UInt16(opcode & 0xF) << 11
        if authoritative { flags |= 0x0400 }
        if truncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        flags |= UInt16(rcode & 0xF)
        u16(flags)
        u16(UInt16(questions.count))
        u16(UInt16(answers.count))
        u16(UInt16(authority.count))
        u16(UInt16(additional.count + (edns == nil ? 0 : 1)))
        let questionName = questions.first?.name
        func name(_ n: DNSName) {
            if let questionName, n == questionName {
                out.append(0xC0)
                out.append(12)
            } else {
                n.append(to: &out)
            }
        }
        for q in questions {
            q.appendName(to: &out)
            u16(q.type)
            u16(q.class)
        }
        for record in answers + authority + additional {
            name(record.name)
            u16(record.type)
            u16(record.class)
            u32(record.ttl)
            let data = record.data.wire
            u16(UInt16(data.count))
            out += data
        }
        if let edns {
            out.append(0)
            u16(DNSType.opt)
            u16(edns.udpPayloadSize)
            u32(UInt32(edns.extendedRcode) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0) | (edns.compactOK ? 0x4000 : 0))
            u16(0)
        }
        return out
    }
}
