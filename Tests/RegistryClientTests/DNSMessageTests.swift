import RegistryClient
import Testing

struct DNSMessageTests {
    static func header(id: UInt16 = 0x1234, flags: UInt16 = 0, qd: UInt16 = 1, an: UInt16 = 0) -> [UInt8] {
        [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF), UInt8(qd >> 8), UInt8(qd & 0xFF), UInt8(an >> 8), UInt8(an & 0xFF), 0, 0, 0, 0]
    }

    func parse(_ bytes: [UInt8]) throws(DNSWireError) -> DNSMessage {
        try DNSMessage(parsing: bytes)
    }

    @Test func roundTripsAQueryWithEDNS() throws {
        var message = DNSMessage(id: 77)
        message.recursionDesired = true
        message.questions = [.init(name: DNSName("7.113.0.203.reg.example.org")!, type: DNSType.txt)]
        message.edns = .init(udpPayloadSize: 1232)
        let parsed = try parse(message.encode())
        #expect(parsed == message)
    }

    /// A record's `wireLength` (what a transfer message is packed by) is the size its
    /// encoding takes, for every kind of data; a long TXT string counts as the 255 bytes sent.
    @Test func recordWireLengthIsItsEncodedSize() throws {
        let name = DNSName("4.100.51.198.reg.example.org")!
        let records: [DNSMessage.Record] = [
            .init(name: name, type: DNSType.a, ttl: 300, data: .a(0x7F00_0002)),
            .init(name: name, type: DNSType.txt, ttl: 300, data: .txt([Array("v=reg1; status=active".utf8), [], Array(repeating: 0x41, count: 300)])),
            .init(name: DNSName("reg.example.org")!, type: DNSType.ns, ttl: 300, data: .ns(DNSName("ns1.reg.example.org")!)),
            .init(
                name: DNSName("reg.example.org")!, type: DNSType.soa, ttl: 60,
                data: .soa(mname: DNSName("ns1.reg.example.org")!, rname: DNSName("hostmaster.reg.example.org")!, serial: 7, refresh: 1, retry: 2, expire: 3, minimum: 4)),
            .init(name: DNSName("example")!, type: 99, ttl: 0, data: .other([1, 2, 3])),
        ]
        for record in records {
            var message = DNSMessage(id: 1)
            message.answers = [record]
            #expect(message.encode().count - 12 == record.wireLength, "\(record.type)")
        }
    }

    @Test func rejectsACompressionPointerToItself() {
        // Question name = pointer to offset 12, which is the pointer itself.
        #expect(throws: DNSWireError.badPointer) { try parse(Self.header() + [0xC0, 12, 0, 1, 0, 1]) }
    }

    @Test func rejectsPointerLoopsBetweenRecords() {
        // Question "a" + pointer forward; answer name points back into the question's pointer.
        let bytes = Self.header(an: 1) + [1, 97, 0xC0, 18, 0, 1, 0, 1] + [0xC0, 14, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 127, 0, 0, 2]
        #expect(throws: DNSWireError.self) { try parse(bytes) }
    }

    @Test func rejectsTooManyLabelsAndLongNames() {
        let many = [UInt8](repeating: 0, count: 0) + Array((0..<130).flatMap { _ in [UInt8(1), 97] })
        #expect(throws: DNSWireError.self) { try parse(Self.header() + many + [0, 0, 1, 0, 1]) }
        let long = Array((0..<5).flatMap { _ in [UInt8(60)] + [UInt8](repeating: 98, count: 60) })
        #expect(throws: DNSWireError.nameTooLong) { try parse(Self.header() + long + [0, 0, 1, 0, 1]) }
    }

    @Test func rejectsTruncatedMessagesAndImpossibleCounts() {
        #expect(throws: DNSWireError.truncated) { try parse([0x12]) }
        #expect(throws: DNSWireError.truncated) { try parse(Self.header(qd: 200)) }
        #expect(throws: DNSWireError.truncated) { try parse(Self.header() + [3, 97, 98]) }
    }

    @Test func answersAccordingToTheZoneConventions() {
        let zone = RegistryZone(zone: DNSName("reg.example.org")!)
        #expect(zone.queryName(for: ip("203.0.113.7")).description == "7.113.0.203.reg.example.org.")
        #expect(zone.queryName(for: ip("2001:db8::1")).description == "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.reg.example.org.")
        #expect(zone.address(in: zone.queryName(for: ip("2001:db8::1"))) == .some(ip("2001:db8::1")))
        #expect(zone.address(in: DNSName("01.2.3.4.reg.example.org")!) == .some(nil), "leading zeros are no address")
        #expect(zone.address(in: DNSName("example.com")!) == nil)
    }
}
