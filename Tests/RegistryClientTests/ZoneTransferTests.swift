import Foundation
import Primitives
import RegistryClient
import Testing
import TestSupport

/// Zone transfers (RFC 5936 AXFR) from `serve-dns` to a standard secondary, NSD (Debian).
@Suite(.serialized)
struct ZoneTransferTests {
    /// The project's server with transfers allowed to `allowed`.
    static func primary(_ registry: TestRegistry, allowed: [String]) async throws -> (RegistryDNSServer, ServedZone) {
        let zone = DNSName("reg.example.org")!
        let live = try LiveRegistry(store: registry.store)
        let responder = DNSResponder(zone: RegistryZone(zone: zone), registry: live, clock: { Int64(Date().timeIntervalSince1970 * 1000) })
        var configuration = RegistryDNSServer.Configuration(host: "127.0.0.1", port: 0, threads: 2)
        configuration.transfer = .of(
            registry.store, zone: zone, ttl: 300, negativeTTL: 60, nameServer: nil, glue: IPAddress("127.0.0.1"), allowed: allowed.compactMap(ZoneTransfer.network))
        let server = RegistryDNSServer(responder: responder, configuration: configuration)
        return (server, try await ServedZone.start(server))
    }

    static func dig(_ port: Int, _ arguments: [String]) throws -> String {
        let dig = try Requirement.program("dig", debianPackage: "bind9-dnsutils")
        return try run([dig, "@127.0.0.1", "-p", String(port), "+time=2", "+tries=2"] + arguments).output
    }

    static func short(_ port: Int, _ name: String, _ type: String) throws -> String {
        try dig(port, ["+short", name, type]).split(separator: "\n").sorted().joined(separator: "\n")
    }

    @Test func refusesTransfersToClientsNotAllowed() async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(ZoneExportTests.csv)
        let (_, served) = try await Self.primary(registry, allowed: ["10.0.0.0/8"])
        defer { Task { await served.stop() } }
        let refused = try Self.dig(served.port, ["reg.example.org", "AXFR"])
        #expect(refused.contains("REFUSED") || refused.contains("Transfer failed"), "\(refused)")
        #expect(!refused.contains("127.0.0.3"))
        let (_, open) = try await Self.primary(registry, allowed: ["127.0.0.1/32"])
        defer { Task { await open.stop() } }
        let transfer = try Self.dig(open.port, ["reg.example.org", "AXFR"])
        // SOA first and last; every registration's owners inside.
        let lines = transfer.split(separator: "\n").filter { !$0.hasPrefix(";") && !$0.isEmpty }
        #expect(lines.first?.contains("SOA") == true && lines.last?.contains("SOA") == true)
        #expect(transfer.contains("*.100.51.198.reg.example.org."))
        #expect(transfer.contains("20.100.51.198.reg.example.org. 300 IN\tA\t127.0.0.4"))
    }

    /// NSD, configured as a secondary of serve-dns, transfers the zone and answers every
    /// probe as serve-dns does: wildcards and expansions give longest-prefix answers.
    @Test func nsdAsSecondaryAnswersAsServeDNS() async throws {
        let nsdProgram = try Requirement.program("nsd", debianPackage: "nsd")
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(ZoneExportTests.csv)
        let (_, served) = try await Self.primary(registry, allowed: ["127.0.0.1/32"])
        defer { Task { await served.stop() } }
        let folder = registry.folder.appendingPathComponent("nsd")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let port = freePort()
        let config = """
            server:
                ip-address: 127.0.0.1@\(port)
                database: ""
                zonelistfile: "\(folder.path)/zone.list"
                xfrdfile: "\(folder.path)/xfrd.state"
                xfrdir: "\(folder.path)"
                pidfile: "\(folder.path)/nsd.pid"
                logfile: "\(folder.path)/nsd.log"
                zonesdir: "\(folder.path)"
                username: ""
                chroot: ""
                verbosity: 2
            remote-control:
                control-enable: no
            zone:
                name: "reg.example.org"
                zonefile: "reg.example.org.zone"
                request-xfr: AXFR 127.0.0.1@\(served.port) NOKEY
                allow-notify: 127.0.0.1 NOKEY

            """
        let configFile = folder.appendingPathComponent("nsd.conf")
        try Data(config.utf8).write(to: configFile)
        let nsd = Process()
        nsd.executableURL = URL(fileURLWithPath: nsdProgram)
        nsd.arguments = ["-d", "-c", configFile.path]
        nsd.standardOutput = FileHandle.nullDevice
        nsd.standardError = FileHandle.nullDevice
        try nsd.run()
        defer { ZoneExportTests.stop(nsd) }
        let serial = try registry.store.latestRecordID()
        let loaded = ServeProcess.wait(timeout: 30) { ((try? Self.short(port, "reg.example.org", "SOA")) ?? "").contains(" \(serial) ") }
        let log = (try? String(contentsOf: folder.appendingPathComponent("nsd.log"), encoding: .utf8)) ?? ""
        try #require(loaded, "NSD did not transfer the zone: \(log)")
        let zone = RegistryZone(zone: DNSName("reg.example.org")!)
        for probe in ZoneExportTests.probes {
            let name = zone.queryName(for: ip(probe)).description
            for type in ["A", "TXT"] {
                let secondary = try Self.short(port, name, type)
                let primary = try Self.short(served.port, name, type)
                #expect(secondary == primary, "\(probe) \(type): NSD \(secondary.debugDescription), serve-dns \(primary.debugDescription)")
            }
        }
    }
}
