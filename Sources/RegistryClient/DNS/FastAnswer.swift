import Primitives

/// The common query — one question, type A, class IN, a name in the zone, perhaps an EDNS
/// OPT — answered straight from the request bytes into the reply bytes, with no
/// intermediate message values. Anything else returns false and takes the general path.
struct FastAnswer {
    let zone: RegistryZone
    /// The zone's labels in wire form (`\3reg\7example\3org\0`), lower case.
    let zoneWire: [UInt8]
    /// SOA RDATA without the serial's 4 bytes: MNAME RNAME; then REFRESH RETRY EXPIRE MINIMUM.
    let soaNames: [UInt8]
    let soaTimers: [UInt8]

    init(zone: RegistryZone) {
        self.zone = zone
        var wire: [UInt8] = []
        zone.zone.append(to: &wire)
        zoneWire = wire
        var names: [UInt8] = []
        zone.nameServer.append(to: &names)
        zone.hostmaster.append(to: &names)
        soaNames = names
        var timers: [UInt8] = []
        for v: UInt32 in [3600, 600, 604_800, zone.negativeTTL] { timers += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        soaTimers = timers
    }

    /// A query this path answers: the address asked about and where its parts are.
    struct Parsed {
        var address: UInt32
        var questionEnd: Int
        var zoneStart: Int
        var hasOPT: Bool
    }

    /// Writes the answer to `query` into `out` and returns true, or returns false (with
    /// `out` untouched) when the query needs the general path.
    func answer(_ q: UnsafeRawBufferPointer, serial: () -> UInt32, out: inout [UInt8], status: (IPAddress) -> RegistrationStatus) -> Bool {
        guard let parsed = parse(q) else { return false }
        let found = status(IPAddress(v4: parsed.address))
        if found == .unknown { return false }
        let room = maxLength(parsed)
        withUnsafeTemporaryAllocation(byteCount: room, alignment: 8) { buffer in
            let written = write(q, parsed, found, serial: found.dnsAnswer == nil ? serial() : 0, into: buffer.baseAddress!, room: room)
            out.append(contentsOf: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: written))
        }
        return true
    }

    /// The most bytes `write` takes for `parsed`.
    func maxLength(_ parsed: Parsed) -> Int { parsed.questionEnd + 12 + soaNames.count + 4 + soaTimers.count + 11 }

    /// Writes the answer to the parsed query `q` for `status` (not `.unknown`) at `to`, which
    /// has `room` bytes (at least `maxLength(parsed)`); returns its length. `serial` is the
    /// zone's SOA serial, written into a negative answer.
    func write(_ q: UnsafeRawBufferPointer, _ parsed: Parsed, _ status: RegistrationStatus, serial: UInt32, into to: UnsafeMutableRawPointer, room: Int) -> Int {
        precondition(room >= maxLength(parsed) && status != .unknown)
        var out = Writer(base: to)
        let code = status.dnsAnswer
        // Header.
        out.u8(q[0])
        out.u8(q[1])
        out.u8(0x84 | (q[2] & 0x01))  // QR, AA, RD copied
        out.u8(code == nil ? DNSResponseCode.nameError : DNSResponseCode.noError)
        out.u16(1)  // QDCOUNT
        out.u16(code == nil ? 0 : 1)  // ANCOUNT
        out.u16(code == nil ? 1 : 0)  // NSCOUNT
        out.u16(parsed.hasOPT ? 1 : 0)  // ARCOUNT
        out.bytes(UnsafeRawBufferPointer(rebasing: q[12..<parsed.questionEnd]))
        if let code {
            out.u16(0xC00C)
            out.u16(DNSType.a)
            out.u16(DNSClass.internet)
            out.u32(zone.ttl)
            out.u16(4)
            out.u8(code.0)
            out.u8(code.1)
            out.u8(code.2)
            out.u8(code.3)
        } else {
            // SOA in authority, its owner a pointer to the zone inside the question.
            out.u16(0xC000 | UInt16(parsed.zoneStart))
            out.u16(DNSType.soa)
            out.u16(DNSClass.internet)
            out.u32(zone.negativeTTL)
            out.u16(UInt16(soaNames.count + 4 + soaTimers.count))
            soaNames.withUnsafeBytes { out.bytes($0) }
            out.u32(serial)
            soaTimers.withUnsafeBytes { out.bytes($0) }
        }
        if parsed.hasOPT {
            out.u8(0)
            out.u16(DNSType.opt)
            out.u16(UInt16(RegistryZone.ednsLimit))
            out.u32(0)
            out.u16(0)
        }
        return out.count
    }

    /// Big-endian writes into memory the caller sized.
    private struct Writer {
        let base: UnsafeMutableRawPointer
        var count = 0

        @inline(__always)
        mutating func u8(_ v: UInt8) {
            base.storeBytes(of: v, toByteOffset: count, as: UInt8.self)
            count += 1
        }

        @inline(__always)
        mutating func u16(_ v: UInt16) {
            base.storeBytes(of: v.bigEndian, toByteOffset: count, as: UInt16.self)
            count += 2
        }

        @inline(__always)
        mutating func u32(_ v: UInt32) {
            base.storeBytes(of: v.bigEndian, toByteOffset: count, as: UInt32.self)
            count += 4
        }

        @inline(__always)
        mutating func bytes(_ b: UnsafeRawBufferPointer) {
            guard let source = b.baseAddress, !b.isEmpty else { return }
            (base + count).copyMemory(from: source, byteCount: b.count)
            count += b.count
        }
    }

    /// The common shape: one question, type A, class IN, four decimal labels and the zone,
    /// at most an OPT record (no DO on a signed zone); not the RFC 5782 entries.
    func parse(_ q: UnsafeRawBufferPointer) -> Parsed? {
        guard q.count >= 17, q.count <= 512 else { return nil }
        // Header: QR=0, OPCODE=0, QDCOUNT=1, ANCOUNT=0, NSCOUNT=0, ARCOUNT<=1.
        guard q[2] & 0xF8 == 0, q[4] == 0, q[5] == 1, q[6] == 0, q[7] == 0, q[8] == 0, q[9] == 0, q[10] == 0, q[11] <= 1 else { return nil }
        // The name: plain labels only.
        var i = 12
        var labelStarts: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
        var labelCount = 0
        var zoneStart = -1
        while true {
            guard i < q.count else { return nil }
            let length = Int(q[i])
            if length == 0 { break }
            guard length <= 63, i + 1 + length < q.count else { return nil }
            if labelCount < 8 {
                withUnsafeMutableBytes(of: &labelStarts) { $0.storeBytes(of: i, toByteOffset: labelCount * 8, as: Int.self) }
            }
            labelCount += 1
            if zoneStart < 0, q.count - i >= zoneWire.count, Self.equalsIgnoringCase(q, i, zoneWire) { zoneStart = i }
            i += 1 + length
        }
        let nameEnd = i + 1
        guard zoneStart >= 0, nameEnd - zoneStart == zoneWire.count, nameEnd + 4 <= q.count else { return nil }
        let type = UInt16(q[nameEnd]) << 8 | UInt16(q[nameEnd + 1])
        let klass = UInt16(q[nameEnd + 2]) << 8 | UInt16(q[nameEnd + 3])
        guard type == DNSType.a, klass == DNSClass.internet else { return nil }
        let questionEnd = nameEnd + 4
        // An optional OPT record: root name, type 41, version 0, no options.
        var hasOPT = false
        if q[11] == 1 {
            guard questionEnd + 11 == q.count, q[questionEnd] == 0, q[questionEnd + 1] == 0, q[questionEnd + 2] == 41,
                q[questionEnd + 6] == 0, q[questionEnd + 9] == 0, q[questionEnd + 10] == 0
            else { return nil }
            // DO set on a signed zone: the general path signs.
            if zone.signer != nil, q[questionEnd + 7] & 0x80 != 0 { return nil }
            hasOPT = true
        } else if questionEnd != q.count {
            return nil
        }
        // Four decimal labels in front of the zone: the reversed IPv4 address.
        let prefixLabels = labels(before: zoneStart, labelStarts, labelCount)
        guard prefixLabels == 4 else { return nil }
        var value: UInt32 = 0
        for k in stride(from: 3, through: 0, by: -1) {
            let start = withUnsafeBytes(of: labelStarts) { $0.load(fromByteOffset: k * 8, as: Int.self) }
            guard let octet = Self.octet(q, start) else { return nil }
            value = value << 8 | octet
        }
        if value == 0x7F00_0001 || value == 0x7F00_0002 { return nil }  // RFC 5782 entries: general path
        return Parsed(address: value, questionEnd: questionEnd, zoneStart: zoneStart, hasOPT: hasOPT)
    }

    @inline(__always)
    private func labels(before zoneStart: Int, _ starts: (Int, Int, Int, Int, Int, Int, Int, Int), _ count: Int) -> Int {
        var n = 0
        withUnsafeBytes(of: starts) { raw in
            for k in 0..<min(count, 8) where raw.load(fromByteOffset: k * 8, as: Int.self) < zoneStart { n += 1 }
        }
        return n
    }

    /// A decimal octet label at `start` (length byte first): 1–3 digits, no leading zero.
    @inline(__always)
    static func octet(_ q: UnsafeRawBufferPointer, _ start: Int) -> UInt32? {
        let length = Int(q[start])
        guard length >= 1, length <= 3 else { return nil }
        if length > 1, q[start + 1] == 48 { return nil }
        var v: UInt32 = 0
        for k in 1...length {
            let c = q[start + k]
            guard c >= 48, c <= 57 else { return nil }
            v = v * 10 + UInt32(c - 48)
        }
        return v <= 255 ? v : nil
    }

    @inline(__always)
    static func equalsIgnoringCase(_ q: UnsafeRawBufferPointer, _ at: Int, _ wire: [UInt8]) -> Bool {
        for k in 0..<wire.count {
            var c = q[at + k]
            if c >= 65, c <= 90 { c |= 0x20 }
            if c != wire[k] { return false }
        }
        return true
    }
}
