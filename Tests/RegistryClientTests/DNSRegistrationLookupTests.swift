import Foundation
import Glibc
import NIOCore
import Primitives
import RegistryClient
import TestSupport
import Testing

/// The DNS backend against a real third-party DNSBL server, rbldnsd (Debian), serving a
/// zone in the FORMATS.md §4 conventions.
@Suite(.serialized)
struct DNSRegistrationLookupTests {
    final class Rbldnsd {
        let process = Process()
        let port = freePort()
        let folder: URL

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-rbldnsd-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            // rbldnsd drops to its own user: the folder and files must be readable by others.
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
            let v4 = """
                $SOA 300 ns.reg.example.org hostmaster.reg.example.org 1 3600 600 86400 45
                $NS 300 ns.reg.example.org
                198.51.100.0/28 :2:v=reg1; status=active; registrant=R-000123
                192.0.2.25 :3:v=reg1; status=suspended; registrant=R-000200; case=C-2026-000042
                192.0.2.26 :4:v=reg1; status=revoked; registrant=R-000201
                192.0.2.99 :127.255.255.1:v=reg1; error=database unavailable

                """
            let v6 = "2001:db8:10::/48 :2:v=reg1; status=active; registrant=R-000124\n"
            for (name, text) in [("zone4", v4), ("zone6", v6)] {
                let path = folder.appendingPathComponent(name).path
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            }
            process.executableURL = URL(fileURLWithPath: try Requirement.program("rbldnsd", debianPackage: "rbldnsd"))
            process.arguments = [
                "-n", "-b", "127.0.0.1/\(port)", "-w", folder.path, "-t", "300",
                "reg.example.org:ip4set:zone4", "reg.example.org:ip6trie:zone6",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Ready when it answers the SOA.
            let socket = UDPSocket(timeoutMilliseconds: 100)
            var probe = DNSMessage(id: 9)
            probe.questions = [.init(name: DNSName("reg.example.org")!, type: DNSType.soa)]
            for _ in 0..<50 {
                socket.send(probe.encode(), port: port)
                if socket.receive() != nil { return }
            }
        }

        func stop() {
            // Foundation's waitUntilExit can spin on Linux: signal, then poll.
            kill(process.processIdentifier, SIGTERM)
            for _ in 0..<200 where process.isRunning { Thread.sleep(forTimeInterval: 0.01) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            try? FileManager.default.removeItem(at: folder)
        }
    }

    func lookup(port: Int, timeout: TimeAmount = .seconds(2), retries: Int = 2) throws -> DNSRegistrationLookup {
        var configuration = DNSRegistrationLookup.Configuration(server: try SocketAddress(ipAddress: "127.0.0.1", port: port), zone: DNSName("reg.example.org")!)
        configuration.timeout = timeout
        configuration.retries = retries
        return try DNSRegistrationLookup(configuration: configuration)
    }

    @Test func readsStatusesFromRbldnsd() async throws {
        let server = try Rbldnsd()
        defer { server.stop() }
        let client = try lookup(port: server.port)
        let now = time("2026-11-28T00:00:00Z")
        let active = await client.state(of: ip("198.51.100.5"), at: now)
        #expect(active.status == .active)
        #expect(active.registrant == "R-000123")
        let suspended = await client.state(of: ip("192.0.2.25"), at: now)
        #expect(suspended.status == .suspended)
        #expect(suspended.caseID == "C-2026-000042")
        #expect(await client.state(of: ip("192.0.2.26"), at: now).status == .revoked)
        #expect(await client.state(of: ip("2001:db8:10::7"), at: now).status == .active)
        #expect(await client.state(of: ip("203.0.113.1"), at: now).status == .unregistered)
        #expect(await client.state(of: ip("192.0.2.99"), at: now).status == .unknown, "127.255.255.0/24 is an error, never a status")
        let sent = client.statistics.queriesSent
        // Answers and NXDOMAIN come from the cache the second time.
        #expect(await client.state(of: ip("198.51.100.5"), at: now).status == .active)
        #expect(await client.state(of: ip("203.0.113.1"), at: now).status == .unregistered)
        #expect(client.statistics.queriesSent == sent)
        #expect(client.statistics.cacheHits == 2)
    }

    @Test func answersUnknownWhenTheServerIsSilent() async throws {
        let client = try lookup(port: freePort(), timeout: .milliseconds(150), retries: 1)
        let state = await client.state(of: ip("198.51.100.5"), at: time("2026-11-28T00:00:00Z"))
        #expect(state.status == .unknown, "a failed lookup is never 'unregistered'")
        #expect(client.statistics.timeouts == 2)
    }

    @Test func fallsBackToTCPWhenTheAnswerIsTruncated() async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV("network,registrant,status,abuse_contact,since\n198.51.100.0/28,R-000123,suspended,abuse@example.net,2026-01-15T00:00:00Z\n")
        let responder = DNSResponder(zone: RegistryZone(zone: DNSName("reg.example.org")!), registry: try LiveRegistry(store: registry.store), clock: { time("2026-11-28T00:00:00Z") })
        let server = TruncatingServer(responder: responder)
        defer { server.stop() }
        let client = try lookup(port: server.port)
        let state = await client.state(of: ip("198.51.100.5"), at: time("2026-11-28T00:00:00Z"))
        #expect(state.status == .suspended)
        #expect(client.statistics.tcpFallbacks == 1)
    }

    /// 200 lookups at once with a bound of 4: the server, which holds each query 20 ms,
    /// never sees more than 4 unanswered, yet sees several at once.
    @Test func boundsConcurrentQueries() async throws {
        let server = SlowServer(delay: 0.02)
        defer { server.stop() }
        var configuration = DNSRegistrationLookup.Configuration(server: try SocketAddress(ipAddress: "127.0.0.1", port: server.port), zone: DNSName("reg.example.org")!)
        configuration.maxConcurrent = 4
        configuration.timeout = .seconds(5)
        let client = try DNSRegistrationLookup(configuration: configuration)
        let statuses = await withTaskGroup(of: RegistrationStatus.self) { group in
            for i in 0..<200 {
                group.addTask { await client.state(of: IPAddress(v4: 0xCB00_7100 | UInt32(i)), at: 0).status }
            }
            var all: [RegistrationStatus] = []
            for await status in group { all.append(status) }
            return all
        }
        #expect(statuses.count == 200)
        #expect(statuses.allSatisfy { $0 == .unregistered })
        #expect(server.received == 200, "each address asked once (TXT; NXDOMAIN answers the name)")
        #expect(server.mostInFlight <= 4, "at most 4 queries in flight, the server saw \(server.mostInFlight)")
        #expect(server.mostInFlight >= 2, "queries do run side by side: \(server.mostInFlight)")
    }
}
