import Foundation
import Glibc
import RegistryClient
import Testing
import TestSupport

/// `serve-dns --xdp`: IPv4 UDP queries taken off an interface through AF_XDP (loopback,
/// and a veth pair).
/// Serialized: an interface carries one XDP program at a time.
@Suite(.serialized) struct XDPServerTests {
    /// Every kind of query the socket path answers (`QueryBurst`), sent at once: each answer
    /// equals the responder's general path, and every datagram came through AF_XDP.
    @Test func answersIPv4QueriesThroughXDPAsTheSocketsDo() async throws {
        try await Self.serving { server, _ in
            #expect(try Self.link("lo").contains("prog/xdp"), "the program is on lo while serving")
            try Self.expectBurstAnswered(server)
            // TCP still goes to the sockets.
            let overTCP = try server.dig("+tcp", "+short", "5.100.51.198.reg.example.org", "A")
            #expect(overTCP == "127.0.0.2\n")
        }
        #expect(try !Self.link("lo").contains("prog/xdp"), "the program left lo when the server stopped")
    }

    /// The burst, a runt and a response through AF_XDP: each answer as the general path
    /// gives it, the two bad datagrams dropped, everything counted as come through AF_XDP.
    static func expectBurstAnswered(_ server: RunningServer) throws {
        // And a runt and a response, which both paths drop.
        var response = DNSMessage(id: 999)
        response.isResponse = true
        let queries = QueryBurst.queries() + [[0x12, 0x34, 0x01], response.encode()]
        let replies = QueryBurst.send(queries, to: server.port, expecting: queries.count - 2)
        #expect(replies.count == queries.count - 2, "every query answered")
        let kinds = try QueryBurst.expectGeneralPathAnswers(Array(queries.dropLast(2)), replies, responder: server.server.responder)
        #expect(kinds == [0, 3], "NOERROR and NXDOMAIN answers among them")
        try server.waitUntilHandled()
        let statistics = server.server.statistics
        #expect(statistics.viaXDP == queries.count, "every datagram came through AF_XDP")
        #expect(statistics.dropped == 2, "the runt and the response dropped")
    }

    /// A datagram with IP options is not the program's: the kernel and the sockets answer it.
    @Test func leavesDatagramsWithIPOptionsToTheSockets() async throws {
        try await Self.serving { server, _ in
            var query = Self.query(77, "25.2.0.192.reg.example.org")
            Self.expectOneAnswer(query, from: server)
            #expect(server.server.statistics.viaXDP == 1)
            let withOptions = UDPSocket()
            var options: [UInt8] = [1, 1, 1, 0]  // NOP, NOP, NOP, end of options: a 24-byte header
            #expect(setsockopt(withOptions.fd, Int32(IPPROTO_IP), IP_OPTIONS, &options, socklen_t(options.count)) == 0)
            query.id = 78
            withOptions.send(query.encode(), port: server.port)
            let answer = try #require(withOptions.receive(id: 78), "the sockets answer it")
            #expect(answer.answers.count == 1)
            let statistics = server.server.statistics
            #expect(statistics.received == 2 && statistics.viaXDP == 1, "one through AF_XDP, one through a socket")
        }
    }

    /// Frames the program hands over whose UDP header lies (a length beyond the datagram,
    /// one shorter than the header, source port 0) are dropped and counted, and the server
    /// answers the next query. Sent through a raw socket, which writes its own headers.
    @Test func dropsDatagramsWhoseUDPHeaderLies() async throws {
        try await Self.serving { server, _ in
            let query = Self.query(41, "5.100.51.198.reg.example.org")
            let payload = query.encode()
            let raw = socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_RAW))
            try #require(raw >= 0, "a raw socket (root)")
            defer { close(raw) }
            for (sourcePort, udpLength) in [(40000, 500), (40000, 7), (0, 8 + payload.count)] {
                // IPv4 (the kernel fills in the total length, the checksum and the ID), then UDP.
                var packet: [UInt8] = [0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]
                packet += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(server.port >> 8), UInt8(server.port & 0xFF)]
                packet += [UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0] + payload
                let sent = packet.withUnsafeBytes { bytes in withLoopbackAddress(port: 0) { sendto(raw, bytes.baseAddress, bytes.count, 0, $0, $1) } }
                #expect(sent == packet.count)
            }
            try server.waitUntilReceived(3)
            try server.waitUntilHandled()
            var statistics = server.server.statistics
            #expect(statistics.viaXDP == 3 && statistics.dropped == 3 && statistics.answered == 0, "\(statistics)")
            Self.expectOneAnswer(query, from: server)
            statistics = server.server.statistics
            #expect(statistics.viaXDP == 4 && statistics.answered == 1)
        }
    }

    /// One XDP program per interface: a second server is refused with the reason, and the
    /// first goes on answering through AF_XDP.
    @Test func refusesASecondServerOnTheSameInterface() async throws {
        try await Self.serving { first, registry in
            let error = await #expect(throws: (any Error).self) { _ = try await RunningServer(registry: registry, xdp: "lo") }
            #expect("\(error.map { "\($0)" } ?? "")".contains("another AF_XDP socket holds queue 0"))
            Self.expectOneAnswer(Self.query(5, "5.100.51.198.reg.example.org"), from: first)
            #expect(first.server.statistics.viaXDP == 1)
        }
    }

    /// A real link, not loopback: a veth pair, the client in a network namespace of its own.
    /// The driver runs the program (native XDP); the answers leave with the Ethernet
    /// addresses swapped, and the client's kernel, which checks their UDP checksums, takes
    /// them like any other host's. No loopback settings are involved.
    @Test func answersAcrossAVethPairFromAnotherNamespace() async throws {
        try Requirement.xdpOnLoopback()
        try Requirement.program("dig", debianPackage: "bind9-dnsutils")
        let tag = String(getpid() % 100_000)
        let namespace = "abuse-xdp-\(tag)", server = "axdp\(tag)s", client = "axdp\(tag)c"
        try Self.iproute(["netns", "add", namespace])
        defer {
            _ = try? Self.iproute(["link", "del", server])
            _ = try? Self.iproute(["netns", "del", namespace])
        }
        try Self.iproute(["link", "add", server, "type", "veth", "peer", "name", client, "netns", namespace])
        try Self.iproute(["addr", "add", "198.18.53.1/30", "dev", server])
        try Self.iproute(["link", "set", server, "up"])
        try Self.iproute(["-n", namespace, "addr", "add", "198.18.53.2/30", "dev", client])
        try Self.iproute(["-n", namespace, "link", "set", client, "up"])
        try await Self.serving(on: server, host: "198.18.53.1") { running, _ in
            let link = try Self.link(server)
            #expect(link.contains(" xdp ") && !link.contains("xdpgeneric"), "the veth driver runs the program: \(link)")
            func dig(_ arguments: String...) throws -> String {
                try Self.iproute(["netns", "exec", namespace, "dig", "@198.18.53.1", "-p", String(running.port), "+time=2", "+tries=2", "+short"] + arguments)
            }
            #expect(try dig("5.100.51.198.reg.example.org", "A") == "127.0.0.2\n")
            #expect(try dig("25.2.0.192.reg.example.org", "TXT").contains("status=suspended"))
            #expect(try dig("8.8.8.8.reg.example.org", "A") == "", "unregistered: NXDOMAIN")
            #expect(running.server.statistics.viaXDP >= 3, "through AF_XDP")
        }
        #expect(try !Self.link(server).contains("prog/xdp"), "the program left the interface")
    }

    /// Setup errors that name what is wrong: no such interface; an IPv6 listening address.
    @Test func refusesAnUnknownInterfaceAndAnIPv6Address() async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        let live = try LiveRegistry(store: registry.store)
        let responder = DNSResponder(zone: RegistryZone(zone: DNSName("reg.example.org")!), registry: live, clock: { 0 })
        for (host, interface, reason) in [("127.0.0.1", "nosuch0", "no network interface 'nosuch0'"), ("::1", "lo", "answers IPv4 only")] {
            var configuration = RegistryDNSServer.Configuration(host: host, port: 0, threads: 1)
            configuration.xdpInterface = interface
            let server = RegistryDNSServer(responder: responder, configuration: configuration)
            let error = await #expect(throws: (any Error).self) { try await server.bind() }
            #expect("\(error.map { "\($0)" } ?? "")".contains(reason), "\(host) on \(interface)")
        }
    }

    /// An A query for `name`.
    static func query(_ id: UInt16, _ name: String) -> DNSMessage {
        var query = DNSMessage(id: id)
        query.questions = [.init(name: DNSName(name)!, type: DNSType.a)]
        return query
    }

    /// Sends `query` to `server` from a plain UDP socket and expects an answer with one record.
    static func expectOneAnswer(_ query: DNSMessage, from server: RunningServer) {
        let socket = UDPSocket()
        socket.send(query.encode(), port: server.port)
        #expect(socket.receive(id: query.id)?.answers.count == 1, "an answer to \(query.id)")
    }

    /// Runs `body` with a server of the test registry answering through AF_XDP on
    /// `interface`, and stops it before returning, whatever `body` does: the next test needs
    /// the interface free.
    static func serving(
        on interface: String = "lo", host: String = "127.0.0.1", _ body: (RunningServer, TestRegistry) async throws -> Void
    ) async throws {
        try Requirement.xdpOnLoopback()
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(RegistryDNSServerTests.csv)
        let server = try await RunningServer(registry: registry, xdp: interface, host: host)
        do {
            try await body(server, registry)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// `ip link show IFACE`: shows the XDP program while one is attached (`prog/xdp`; the
    /// mode is `xdpgeneric` when the kernel runs it for a driver without XDP, `xdp` in the
    /// driver).
    static func link(_ interface: String) throws -> String {
        try iproute(["link", "show", interface])
    }

    /// Runs `ip` (iproute2) and returns its output; throws with its error output when it fails.
    @discardableResult
    static func iproute(_ arguments: [String]) throws -> String {
        let result = try run([try Requirement.program("ip", debianPackage: "iproute2")] + arguments)
        guard result.status == 0 else { throw MissingRequirement("ip \(arguments.joined(separator: " ")) failed: \(result.output)") }
        return result.output
    }
}
