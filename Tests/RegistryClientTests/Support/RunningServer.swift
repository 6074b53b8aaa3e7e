import Foundation
import TestSupport
import RegistryClient

/// The project's DNS server, started on a free loopback port for a test.
final class RunningServer {
    let server: RegistryDNSServer
    let served: ServedZone
    var port: Int { served.port }
    let zone = DNSName("reg.example.org")!

    /// - Parameter nameServers: `--ns` values (none: `ns.ZONE`).
    /// - Parameter signer: signs answers to DO queries (DNSSEC).
    /// - Parameter xdp: an interface whose IPv4 UDP queries are answered through AF_XDP.
    /// - Parameter host: the address listened on.
    init(
        registry: TestRegistry, log: CapturedLog = CapturedLog(), nameServers: [String] = [], signer: ZoneSigner? = nil, xdp: String? = nil, host: String = "127.0.0.1"
    ) async throws {
        let live = try LiveRegistry(store: registry.store)
        var registryZone = RegistryZone(zone: zone, nameServers: NameServer.list(nameServers, zone: zone))
        registryZone.signer = signer
        let responder = DNSResponder(zone: registryZone, registry: live, clock: { Int64(Date().timeIntervalSince1970 * 1000) })
        var configuration = RegistryDNSServer.Configuration(host: host, port: 0, threads: 2)
        configuration.xdpInterface = xdp
        server = RegistryDNSServer(responder: responder, configuration: configuration, logger: log.logger("test.dns"))
        served = try await ServedZone.start(server)
    }

    /// `dig` against this server; returns its output.
    func dig(_ arguments: String...) throws -> String { try dig(arguments) }

    func dig(_ arguments: [String]) throws -> String {
        try Requirement.program("dig", debianPackage: "bind9-dnsutils")
        return try run(["dig", "@127.0.0.1", "-p", String(port), "+time=2", "+tries=1"] + arguments).output
    }

    /// The answer to `arguments`, asked again until it is `expected` or `seconds` have passed
    /// (0: asked once).
    func dig(until expected: String, within seconds: Double, _ arguments: String...) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let answer = try dig(arguments)
            if answer == expected || Date() >= deadline { return answer }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    func stop() async { await served.stop() }

    /// Stops the server once the test is done with it (for `defer`).
    func stopLater() {
        let served = self.served
        Task { await served.stop() }
    }

    /// Waits (at most 10 s) until every message read was answered or dropped.
    func waitUntilHandled() throws {
        let deadline = Date().addingTimeInterval(10)
        while true {
            let s = server.statistics
            if s.answered + s.dropped >= s.received { return }
            guard Date() < deadline else { throw Timeout(what: "the server handled \(s.answered + s.dropped) of \(s.received) packets in 10 s") }
            Thread.sleep(forTimeInterval: 0.001)
        }
    }

    /// Waits (at most 10 s) until the server has read `count` messages in all.
    func waitUntilReceived(_ count: Int) throws {
        let deadline = Date().addingTimeInterval(10)
        while server.statistics.received < count {
            guard Date() < deadline else { throw Timeout(what: "the server read \(server.statistics.received) of \(count) packets in 10 s") }
            Thread.sleep(forTimeInterval: 0.001)
        }
    }
}

struct Timeout: Error, CustomStringConvertible {
    var what: String
    var description: String { what }
}
