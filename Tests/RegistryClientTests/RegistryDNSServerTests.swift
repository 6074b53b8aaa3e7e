import Foundation
import RegistryClient
import TestSupport
import Testing

/// The project's server on a loopback port, asked by `dig` (Debian bind9-dnsutils).
@Suite(.serialized)
struct RegistryDNSServerTests {
    static let csv = """
        network,registrant,status,abuse_contact,since
        198.51.100.0/28,R-000123,active,abuse@example.net,2026-01-15T00:00:00Z
        2001:db8:10::/48,R-000124,active,noc@example.com,2026-02-01T00:00:00Z
        192.0.2.25/32,R-000200,suspended,abuse@bad.example,2026-11-01T00:00:00Z
        192.0.2.26/32,R-000201,revoked,abuse@bad.example,2026-11-01T00:00:00Z

        """

    @Test func answersEveryTypeAndErrorAsTheContractSays() async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        let server = try await RunningServer(registry: registry)
        defer { server.stopLater() }

        #expect(try server.dig("+short", "5.100.51.198.reg.example.org", "A") == "127.0.0.2\n")
        #expect(try server.dig("+short", "25.2.0.192.reg.example.org", "A") == "127.0.0.3\n")
        #expect(try server.dig("+short", "26.2.0.192.reg.example.org", "A") == "127.0.0.4\n")
        #expect(try server.dig("+short", "25.2.0.192.reg.example.org", "TXT") == "\"v=reg1; status=suspended; registrant=R-000200\"\n")
        let v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.reg.example.org"
        #expect(try server.dig("+short", v6, "A") == "127.0.0.2\n")
        #expect(try server.dig("+short", "2.0.0.127.reg.example.org", "A") == "127.0.0.2\n", "RFC 5782 test entry")
        let nx = try server.dig("8.8.8.8.reg.example.org", "A")
        #expect(nx.contains("status: NXDOMAIN"))
        #expect(nx.contains("SOA"), "NXDOMAIN carries the SOA for negative caching")
        #expect(try server.dig("1.0.0.127.reg.example.org", "A").contains("status: NXDOMAIN"), "127.0.0.1 is never answered")
        #expect(try server.dig("+short", "reg.example.org", "SOA").hasPrefix("ns.reg.example.org. hostmaster.reg.example.org. "))
        #expect(try server.dig("+short", "reg.example.org", "NS") == "ns.reg.example.org.\n")
        #expect(try server.dig("example.com", "A").contains("status: REFUSED"))
        #expect(try server.dig("-c", "CH", "5.100.51.198.reg.example.org", "A").contains("status: REFUSED"))
        let nodata = try server.dig("5.100.51.198.reg.example.org", "AAAA")
        #expect(nodata.contains("status: NOERROR") && nodata.contains("ANSWER: 0"))
        #expect(try server.dig("+tcp", "+short", "5.100.51.198.reg.example.org", "TXT") == "\"v=reg1; status=active; registrant=R-000123\"\n")
        let edns = try server.dig("+edns=0", "5.100.51.198.reg.example.org", "A")
        #expect(edns.contains("EDNS: version: 0"))
        let badVersion = try server.dig("+edns=1", "+noednsnegotiation", "5.100.51.198.reg.example.org", "A")
        #expect(badVersion.contains("BADVERS"))
    }

    /// Zonemaster's CONSISTENCY05, DELEGATION05/07, ZONE01: name servers inside the zone have
    /// their addresses there. Two servers (the norm): both in the apex NS set, the first the
    /// SOA's MNAME; the in-zone one answers A and AAAA (NODATA for other types), with its
    /// addresses beside the NS answer; a name that is no server is NXDOMAIN.
    @Test func servesItsInZoneNameServersWithTheirAddresses() async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        let server = try await RunningServer(
            registry: registry, nameServers: ["ns1.reg.example.org=192.0.2.53", "ns1.reg.example.org=2001:db8::53", "ns2.other.example"])
        defer { server.stopLater() }
        #expect(try server.dig("+short", "reg.example.org", "NS").split(separator: "\n").sorted() == ["ns1.reg.example.org.", "ns2.other.example."])
        #expect(try server.dig("+short", "reg.example.org", "SOA").hasPrefix("ns1.reg.example.org. hostmaster.reg.example.org. "))
        #expect(try server.dig("+short", "ns1.reg.example.org", "A") == "192.0.2.53\n")
        #expect(try server.dig("+short", "NS1.Reg.Example.org", "AAAA") == "2001:db8::53\n")
        let nodata = try server.dig("ns1.reg.example.org", "TXT")
        #expect(nodata.contains("status: NOERROR") && nodata.contains("ANSWER: 0") && nodata.contains("SOA"), "\(nodata)")
        #expect(try server.dig("ns3.reg.example.org", "A").contains("status: NXDOMAIN"))
        let withGlue = try server.dig("+noall", "+additional", "reg.example.org", "NS")
        #expect(withGlue.contains("ns1.reg.example.org.") && withGlue.contains("192.0.2.53") && withGlue.contains("2001:db8::53"), "\(withGlue)")
        // Records of the registry are untouched by it.
        #expect(try server.dig("+short", "5.100.51.198.reg.example.org", "A") == "127.0.0.2\n")
    }

    /// Zonemaster's NAMESERVER08: resolvers that randomise the case of names (DNS 0x20)
    /// need the question echoed as asked, and owner names that copy it too, on every path
    /// (EDNS with a cookie takes the general one; a bare query the fast one; TCP).
    @Test func echoesTheQueryNameInTheCaseItWasAsked() async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        let server = try await RunningServer(registry: registry)
        defer { server.stopLater() }
        let asked = "5.100.51.198.ReG.ExAmPlE.oRg"
        for options in [["+cookie"], ["+noedns"], ["+tcp"], ["+noedns", "+tcp"]] {
            for type in ["A", "TXT"] {
                let answer = try server.dig(options + ["+noall", "+question", "+answer", asked, type])
                #expect(answer.contains(";\(asked).\tIN\t\(type)"), "\(options) \(type): the question as asked: \(answer)")
                let owner = answer.split(separator: "\n").dropFirst().first.map { String($0.prefix { $0 != " " && $0 != "\t" }) }
                #expect(owner == asked + ".", "\(options) \(type): the answer's owner as asked: \(answer)")
            }
        }
        let apex = try server.dig("+noall", "+question", "+answer", "Reg.Example.ORG", "SOA")
        #expect(apex.contains(";Reg.Example.ORG.") && apex.contains("\nReg.Example.ORG."), "\(apex)")
    }

    @Test func answersFORMERRToAMalformedQuery() async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        let server = try await RunningServer(registry: registry)
        defer { server.stopLater() }
        let socket = UDPSocket()
        // A header announcing one question, then a compression loop.
        socket.send([0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1], port: server.port)
        let reply = try #require(socket.receive())
        #expect(reply[0] == 0xAB && reply[1] == 0xCD)
        #expect(reply[2] & 0x80 != 0, "a response")
        #expect(reply[3] & 0x0F == 1, "FORMERR")
    }

    /// NIO shares one receive buffer among the datagrams of a vector read: a query of
    /// 350 bytes (an EDNS option of 300; dig sends larger ones over TCP), or one with a TSIG record, is read whole and
    /// answered, not cut and answered FORMERR.
    @Test func answersLargeQueriesOverUDP() async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        let server = try await RunningServer(registry: registry)
        defer { server.stopLater() }
        let option = String(repeating: "ab", count: 300)
        let answer = try server.dig("+notcp", "+ednsopt=65001:\(option)", "5.100.51.198.reg.example.org", "A")
        #expect(answer.contains("status: NOERROR") && answer.contains("127.0.0.2") && answer.contains("(UDP)"), "\(answer)")
    }

    /// Listening on an IPv6 address: UDP (the batch threads' IPv6 sockets) and TCP answer,
    /// from two threads sharing the port, and the counters count both.
    @Test func answersOverIPv6() async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        let live = try LiveRegistry(store: registry.store)
        let responder = DNSResponder(zone: RegistryZone(zone: DNSName("reg.example.org")!), registry: live, clock: { Int64(Date().timeIntervalSince1970 * 1000) })
        let server = RegistryDNSServer(responder: responder, configuration: .init(host: "::1", port: 0, threads: 2))
        let served = try await ServedZone.start(server)
        defer { Task { await served.stop() } }
        let dig = try Requirement.program("dig", debianPackage: "bind9-dnsutils")
        for _ in 0..<4 {
            #expect(try run([dig, "@::1", "-p", String(served.port), "+short", "+time=2", "+tries=1", "5.100.51.198.reg.example.org", "A"]).output == "127.0.0.2\n")
        }
        #expect(try run([dig, "@::1", "-p", String(served.port), "+short", "+tcp", "+time=2", "+tries=1", "25.2.0.192.reg.example.org", "A"]).output == "127.0.0.3\n")
        #expect(server.statistics.answered >= 5 && server.statistics[.active] >= 4, "\(server.statistics)")
    }

    /// RFC 5936 §4.2 and RFC 1995 §2 over UDP: AXFR is REFUSED (transfers are TCP only);
    /// IXFR gets the SOA alone (the secondary goes on over TCP). A NOTIFY sent to the
    /// primary, from anyone, is answered NOTIMP and changes nothing.
    @Test func refusesAXFROverUDPAndIgnoresAStrangersNotify() async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        let server = try await RunningServer(registry: registry)
        defer { server.stopLater() }
        let zone = DNSName("reg.example.org")!
        func ask(_ message: DNSMessage) throws -> DNSMessage {
            let socket = UDPSocket()
            socket.send(message.encode(), port: server.port)
            return try DNSMessage(parsing: try #require(socket.receive()))
        }
        var axfr = DNSMessage(id: 0x1234)
        axfr.questions = [DNSMessage.Question(name: zone, type: DNSType.axfr)]
        let refused = try ask(axfr)
        #expect(refused.isResponse && refused.id == 0x1234 && refused.rcode == DNSResponseCode.refused && refused.answers.isEmpty)

        let ixfr = try server.dig("+notcp", "+noall", "+answer", "reg.example.org", "IXFR=1")
        let lines = ixfr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("SOA"), "\(ixfr)")

        let serial = try server.dig("+short", "reg.example.org", "SOA")
        var notify = DNSMessage(id: 0x4321)
        notify.opcode = DNSOpcode.notify
        notify.authoritative = true
        notify.questions = [DNSMessage.Question(name: zone, type: DNSType.soa)]
        notify.answers = [RegistryZone(zone: zone).soaRecord(serial: 999_999)]
        let ignored = try ask(notify)
        #expect(ignored.isResponse && ignored.id == 0x4321 && ignored.rcode == DNSResponseCode.notImplemented)
        #expect(try server.dig("+short", "reg.example.org", "SOA") == serial)
        #expect(try server.dig("+short", "5.100.51.198.reg.example.org", "A") == "127.0.0.2\n")
    }

    @Test(arguments: Backend.allCases) func showsASuspensionAtTheNextQuery(_ backend: Backend) async throws {
        let registry = try TestRegistry(backend)
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        let server = try await RunningServer(registry: registry)
        defer { server.stopLater() }
        #expect(try server.dig("+short", "5.100.51.198.reg.example.org", "A") == "127.0.0.2\n")
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        // SQLite: the next query looks at the file. PostgreSQL: the change comes by
        // LISTEN/NOTIFY, a moment after its commit (README: under 0.2 s).
        let delay = backend == .postgres ? 2.0 : 0
        try registry.store.recordChange(of: ip("198.51.100.5"), to: .suspended, at: now, cause: "suspension", source: "engine", caseID: "C-2026-000042", provisional: true)
        #expect(try server.dig(until: "127.0.0.3\n", within: delay, "+short", "5.100.51.198.reg.example.org", "A") == "127.0.0.3\n")
        #expect(try server.dig("+short", "5.100.51.198.reg.example.org", "TXT") == "\"v=reg1; status=suspended; registrant=R-000123; case=C-2026-000042\"\n")
        try registry.store.recordChange(of: ip("198.51.100.5"), to: .active, at: now + 1, cause: "reinstatement", source: "alice", caseID: "C-2026-000042", provisional: false)
        #expect(try server.dig(until: "127.0.0.2\n", within: delay, "+short", "5.100.51.198.reg.example.org", "A") == "127.0.0.2\n")
    }

    /// A registry that can no longer be read is logged and counted, not silently served
    /// stale: the answers go on from the last state, and the failure shows.
    @Test func logsAndCountsARefreshThatFails() async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        let log = CapturedLog()
        let server = try await RunningServer(registry: registry, log: log)
        defer { server.stopLater() }
        #expect(server.server.statistics.refreshFailures == 0)
        try registry.execute("DROP TABLE registration")
        let deadline = Date().addingTimeInterval(5)
        while server.server.statistics.refreshFailures == 0, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(server.server.statistics.refreshFailures > 0, "failed refreshes are counted")
        // Logged when it starts failing and every 1,000th failure after, not every 5 ms (on a
        // loaded machine the wait above may see more than a thousand).
        let before = server.server.statistics.refreshFailures
        let errors = log.all.filter { $0.level == .error }
        let after = server.server.statistics.refreshFailures
        #expect(errors.count >= 1 + before / 1000 && errors.count <= 1 + after / 1000, "\(errors.count) errors for \(before)–\(after) failures")
        #expect(errors.first?.message.contains("cannot refresh the registry") == true)
        #expect(errors.first?.metadata["error"]?.contains("registration") == true, "the cause is named: \(errors.first?.metadata ?? [:])")
    }

    /// A burst of mixed queries, read by the server in batches (the common A queries of a
    /// batch parsed once, looked up together and written straight into the send area), gets
    /// the same answers as the responder's general path gives one by one.
    @Test func answersABurstOfMixedQueriesAsOneByOne() async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        let server = try await RunningServer(registry: registry)
        defer { server.stopLater() }
        let queries = QueryBurst.queries()
        let replies = QueryBurst.send(queries, to: server.port, expecting: queries.count)
        #expect(replies.count == queries.count, "every query answered")
        let kinds = try QueryBurst.expectGeneralPathAnswers(queries, replies, responder: server.server.responder)
        #expect(kinds == [0, 3], "NOERROR and NXDOMAIN answers among them")
    }

    /// The counters' slots: each answer kind's index is its place in `allCases`.
    @Test func answerKindIndexesAreTheirPlaces() {
        #expect(DNSAnswerKind.allCases.enumerated().map { $0.element.index } == Array(0..<DNSAnswerKind.allCases.count))
    }

    /// 100,000 random and mutated packets: each is answered or dropped, and the server
    /// still answers correct queries afterwards.
    @Test func survivesOneHundredThousandHostilePackets() async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        let server = try await RunningServer(registry: registry)
        defer { server.stopLater() }
        var valid = DNSMessage(id: 1)
        valid.questions = [.init(name: DNSName("5.100.51.198.reg.example.org")!, type: DNSType.a)]
        valid.edns = .init()
        let template = valid.encode()
        var state: UInt64 = 0x5EED
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 17
        }
        let socket = UDPSocket()
        let before = server.server.statistics.received
        // Sent in bursts small enough for its socket buffer, each read whole before the
        // next: every packet reaches the server.
        var sent = 0
        for i in 0..<100_000 {
            var packet: [UInt8]
            switch i % 4 {
            case 0:  // random bytes of random length
                packet = (0..<Int(next() % 600)).map { _ in UInt8(truncatingIfNeeded: next()) }
            case 1:  // a valid query with a few bytes flipped
                packet = template
                for _ in 0..<(1 + Int(next() % 4)) { packet[Int(next() % UInt64(packet.count))] = UInt8(truncatingIfNeeded: next()) }
            case 2:  // truncated at a random point
                packet = Array(template.prefix(Int(next() % UInt64(template.count))))
            default:  // huge counts, pointers and label runs
                packet = DNSMessageTests.header(qd: UInt16(truncatingIfNeeded: next()), an: UInt16(truncatingIfNeeded: next()))
                packet += (0..<Int(next() % 300)).map { _ in [0xC0, 0x3F, 0x01, 0x00][Int(next() % 4)] }
            }
            socket.send(packet, port: server.port)
            sent += 1
            if sent % 64 == 0 {
                socket.drain()
                try server.waitUntilReceived(before + sent)
            }
        }
        try server.waitUntilReceived(before + sent)
        try server.waitUntilHandled()
        try await Task.sleep(for: .milliseconds(50))
        socket.drain()
        let statistics = server.server.statistics
        #expect(statistics.received - before == 100_000, "the server read every hostile packet")
        #expect(statistics.answered + statistics.dropped == statistics.received, "each was answered or dropped")
        // Real queries are still answered correctly.
        for (n, (name, expected)) in [("5.100.51.198", 0x7F00_0002), ("25.2.0.192", 0x7F00_0003), ("26.2.0.192", 0x7F00_0004)].enumerated() {
            var query = DNSMessage(id: UInt16(0xBE00 + n))
            query.questions = [.init(name: DNSName("\(name).reg.example.org")!, type: DNSType.a)]
            socket.send(query.encode(), port: server.port)
            let reply = try #require(socket.receive(id: query.id), "an answer to \(name)")
            #expect(reply.id == query.id && reply.rcode == 0)
            #expect(reply.answers.first?.data == .a(UInt32(expected)), "\(name) after the storm")
        }
        var unregistered = DNSMessage(id: 0xBEEF)
        unregistered.questions = [.init(name: DNSName("8.8.8.8.reg.example.org")!, type: DNSType.a)]
        socket.send(unregistered.encode(), port: server.port)
        #expect(socket.receive(id: 0xBEEF)?.rcode == 3, "NXDOMAIN for an unregistered address")
    }
}
