import Foundation
import Primitives
import RegistryClient
import Testing
import TestSupport

/// Zone transfers (RFC 5936 AXFR, RFC 1995 IXFR) and NOTIFY (RFC 1996) from `serve-dns` to
/// standard secondaries from Debian: NSD, Knot and BIND.
@Suite(.serialized)
struct ZoneTransferTests {
    /// The project's server with transfers allowed to `allowed`.
    static func primary(
        _ registry: TestRegistry, allowed: [String], notify: [Int] = [], keys: [TSIGKey] = [], history: UInt32 = ZoneTransfer.defaultHistory,
        dnssec: DNSSECKey? = nil
    ) async throws -> (RegistryDNSServer, ServedZone) {
        let zone = DNSName("reg.example.org")!
        let live = try LiveRegistry(store: registry.store)
        var registryZone = RegistryZone(zone: zone)
        registryZone.signer = dnssec.map { ZoneSigner(key: $0) }
        let responder = DNSResponder(zone: registryZone, registry: live, clock: { Int64(Date().timeIntervalSince1970 * 1000) })
        var configuration = RegistryDNSServer.Configuration(host: "127.0.0.1", port: 0, threads: 2)
        configuration.notify = notify.map { "127.0.0.1:\($0)" }
        configuration.transfer = .of(
            registry.store, zone: zone, ttl: 300, negativeTTL: 60, nameServers: [NameServer(name: DNSName("ns.reg.example.org")!, addresses: [IPAddress("127.0.0.1")!])], allowed: allowed.compactMap(ZoneTransfer.network),
            keys: keys, history: history, signer: registryZone.signer)
        let server = RegistryDNSServer(responder: responder, configuration: configuration)
        return (server, try await ServedZone.start(server))
    }

    /// The key the secondaries sign their transfers with (RFC 8945, HMAC-SHA256).
    static let key = TSIGKey(name: DNSName("xfr.reg.example.org")!, secret: (0..<32).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) })
    static var secret: String { Data(key.secret).base64EncodedString() }

    static func dig(_ port: Int, _ arguments: [String]) throws -> String {
        let dig = try Requirement.program("dig", debianPackage: "bind9-dnsutils")
        return try run([dig, "@127.0.0.1", "-p", String(port), "+time=2", "+tries=2"] + arguments).output
    }

    static func short(_ port: Int, _ name: String, _ type: String, tcp: Bool = false) throws -> String {
        try dig(port, ["+short"] + (tcp ? ["+tcp"] : []) + [name, type]).split(separator: "\n").sorted().joined(separator: "\n")
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

    /// RFC 8945: with a key configured, a transfer must be signed with it. The right key gets
    /// the zone, every message signed and chained (dig checks each of 12); no signature is
    /// REFUSED; a wrong secret is BADSIG and an unknown key BADKEY, both NOTAUTH, unsigned,
    /// and without a record of the zone.
    @Test func transfersOnlyWithTheRightTSIGKey() async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        // 1,500 more addresses: the zone takes a dozen messages.
        let many = (0..<1500).map { "192.0.\($0 / 250).\($0 % 250 + 1)/32,R-\(String(format: "%06d", 1000 + $0)),active,noc@many.example,2026-01-01T00:00:00Z" }
        try registry.importCSV(ZoneExportTests.csv + many.joined(separator: "\n") + "\n")
        let (server, served) = try await Self.primary(registry, allowed: ["127.0.0.1/32"], keys: [Self.key])
        defer { Task { await served.stop() } }
        let name = "hmac-sha256:xfr.reg.example.org"
        let signed = try Self.dig(served.port, ["-y", "\(name):\(Self.secret)", "reg.example.org", "AXFR"])
        #expect(signed.contains("XFR size: 3"), "\(signed.suffix(300))")
        #expect(signed.contains("messages 12") || signed.contains("messages 13"), "\(signed.suffix(300))")
        #expect(!signed.contains("Couldn't verify") && !signed.contains("failed"), "\(signed.suffix(300))")
        #expect(signed.contains("1.0.0.192.reg.example.org."))

        let unsigned = try Self.dig(served.port, ["reg.example.org", "AXFR"])
        #expect(unsigned.contains("Transfer failed") && !unsigned.contains("127.0.0.2"), "\(unsigned)")
        let wrongSecret = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let badSignature = try Self.dig(served.port, ["-y", "\(name):\(wrongSecret)", "reg.example.org", "AXFR"])
        #expect(badSignature.contains("BADSIG") && !badSignature.contains("127.0.0.2"), "\(badSignature)")
        let badKey = try Self.dig(served.port, ["-y", "hmac-sha256:other.key:\(Self.secret)", "reg.example.org", "AXFR"])
        #expect(badKey.contains("BADKEY") && !badKey.contains("127.0.0.2"), "\(badKey)")
        let statistics = server.statistics
        #expect(statistics[transfer: .whole] == 1 && statistics[transfer: .refused] == 3, "\(statistics.transfers)")
    }

    /// The zone a secondary transfers when the zone is signed: complete as BIND's
    /// `dnssec-verify` checks it (every RRset signed by the key, the NSEC chain unbroken over
    /// every name; `-z`: one combined key), for either algorithm; `named-checkzone` loads it.
    @Test(arguments: DNSSECKey.Algorithm.allCases)
    func theSignedZoneIsCompleteAsDnssecVerifySays(_ algorithm: DNSSECKey.Algorithm) async throws {
        let verify = try Requirement.program("dnssec-verify", debianPackage: "bind9-utils")
        let check = try Requirement.program("named-checkzone", debianPackage: "bind9-utils")
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(ZoneExportTests.csv)
        let key = DNSSECKey(zone: DNSName("reg.example.org")!, algorithm: algorithm)
        let (_, served) = try await Self.primary(registry, allowed: ["127.0.0.1/32"], dnssec: key)
        defer { Task { await served.stop() } }
        let transfer = try Self.dig(served.port, ["+nocmd", "+nostats", "reg.example.org", "AXFR"])
        let file = registry.folder.appendingPathComponent("signed.zone")
        try Data(transfer.utf8).write(to: file)
        #expect(transfer.contains("\tNSEC\t") && transfer.contains("\tRRSIG\t") && transfer.contains("\tDNSKEY\t"), "\(transfer.prefix(2000))")
        let verified = try run([verify, "-z", "-o", "reg.example.org", file.path]).output
        #expect(verified.contains("Zone fully signed"), "\(verified)")
        let loaded = try run([check, "-i", "local", "reg.example.org", file.path]).output
        #expect(loaded.contains("(DNSSEC signed)") && loaded.contains("OK"), "\(loaded)")
    }

    /// RFC 1995: IXFR from a serial in the history gets the differences (new SOA, old SOA,
    /// the records removed, new SOA, the records added, new SOA); from the current serial or
    /// one in the future the SOA alone; from a serial older than the history the whole zone.
    @Test(arguments: Backend.allCases) func ixfrSendsTheDifferencesFromASerialInItsHistory(_ backend: Backend) async throws {
        let registry = try TestRegistry(backend)
        defer { registry.remove() }
        try registry.importCSV(ZoneExportTests.csv)
        let (_, served) = try await Self.primary(registry, allowed: ["127.0.0.1/32"], history: 2)
        defer { Task { await served.stop() } }
        let before = try registry.store.latestRecordID()
        _ = try registry.store.recordChange(
            of: ip("198.51.100.7"), to: .suspended, at: Int64(Date().timeIntervalSince1970 * 1000), cause: "suspension", source: "engine", caseID: "C-2026-000009",
            provisional: true)
        let after = try registry.store.latestRecordID()
        func records(_ serial: Int64) throws -> [String] {
            try Self.dig(served.port, ["+noall", "+answer", "reg.example.org", "IXFR=\(serial)"]).split(separator: "\n").map {
                $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            }
        }
        let soa = { (serial: Int64) in "reg.example.org. 60 IN SOA ns.reg.example.org. hostmaster.reg.example.org. \(serial) 3600 600 604800 60" }
        // The suspension changes the registration covering 198.51.100.7, the /24: its
        // wildcard's records go, the suspended ones come; the rest of the zone stays.
        let differences = try records(before)
        #expect(
            differences == [
                soa(after), soa(before),
                "*.100.51.198.reg.example.org. 300 IN A 127.0.0.2",
                "*.100.51.198.reg.example.org. 300 IN TXT \"v=reg1; status=active; registrant=R-000100\"",
                soa(after),
                "*.100.51.198.reg.example.org. 300 IN A 127.0.0.3",
                "*.100.51.198.reg.example.org. 300 IN TXT \"v=reg1; status=suspended; registrant=R-000100; case=C-2026-000009\"",
                soa(after),
            ], "\(differences)")
        #expect(try records(after) == [soa(after)], "current: the SOA alone")
        #expect(try records(after + 50) == [soa(after)], "a serial in the future: the SOA alone")
        // Two more changes: `before` is now 3 behind, beyond a history of 2.
        for address in ["198.51.100.8", "198.51.100.9"] {
            _ = try registry.store.recordChange(
                of: ip(address), to: .suspended, at: Int64(Date().timeIntervalSince1970 * 1000), cause: "suspension", source: "engine", caseID: "C-2026-000010",
                provisional: true)
        }
        let whole = try records(before)
        let axfr = try Self.dig(served.port, ["+noall", "+answer", "reg.example.org", "AXFR"]).split(separator: "\n")
        #expect(whole.count == axfr.count && whole.count > 20, "out of the history: the whole zone (\(whole.count) records, AXFR \(axfr.count))")
        #expect(whole.filter { $0.contains(" SOA ") }.count == 2)
    }

    /// NSD, configured as a secondary of serve-dns, transfers the zone and answers every
    /// probe as serve-dns does: wildcards and expansions give longest-prefix answers.
    @Test func nsdAsSecondaryAnswersAsServeDNS() async throws {
        let nsdProgram = try Requirement.program("nsd", debianPackage: "nsd")
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(ZoneExportTests.csv)
        let key = DNSSECKey(zone: DNSName("reg.example.org")!, algorithm: .ecdsaP256SHA256)
        let (_, served) = try await Self.primary(registry, allowed: ["127.0.0.1/32"], dnssec: key)
        defer { Task { await served.stop() } }
        let port = freePort()
        let nsd = try Self.startNSD(folder: registry.folder.appendingPathComponent("nsd"), port: port, primary: served.port, program: nsdProgram, request: "AXFR")
        defer { ZoneExportTests.stop(nsd) }
        let folder = registry.folder.appendingPathComponent("nsd")
        let serial = Self.zoneSerial(try registry.store.latestRecordID(), key: key)
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
        let differences = try Self.differences(primary: served.port, secondary: port, addresses: Self.sample(10_000))
        #expect(differences.isEmpty, "NSD and serve-dns differ on \(differences.count) of 10,000 addresses, first: \(differences.prefix(3))")
        try Self.validates("NSD", port: port, key: key)
    }

    /// The zone serial of a registry serial (`RegistryZone.zoneSerial`): plus the week when signed.
    static func zoneSerial(_ registrySerial: Int64, key: DNSSECKey? = nil) -> Int64 {
        var zone = RegistryZone(zone: DNSName("reg.example.org")!)
        zone.signer = key.map { ZoneSigner(key: $0) }
        return Int64(zone.zoneSerial(UInt32(registrySerial)))
    }

    /// `delv`, trusting `key`, validates the secondary's answers from the signed zone it
    /// transferred: a wildcard's (a /24, and a /20 cut in /24s), a host's, a nibble
    /// wildcard's (IPv6 /48), and an unregistered address (NXDOMAIN, proved by the NSEC
    /// chain: no such name, no wildcard).
    static func validates(_ what: String, port: Int, key: DNSSECKey) throws {
        let zone = RegistryZone(zone: DNSName("reg.example.org")!)
        for probe in ["198.51.100.7", "203.0.113.9", "198.51.100.20", "2001:db8:10::5"] {
            let answer = try DNSSECTests.delv(port, key: key, [zone.queryName(for: ip(probe)).description, "A"])
            #expect(answer.contains("; fully validated") && answer.contains("RRSIG"), "\(what), \(probe): \(answer)")
        }
        let unregistered = try DNSSECTests.delv(port, key: key, [zone.queryName(for: ip("192.0.2.200")).description, "A"])
        #expect(unregistered.contains("; negative response, fully validated") && unregistered.contains("NXDOMAIN"), "\(what): \(unregistered)")
    }

    /// `count` distinct addresses, the same every run: inside the registered networks (the /24 and
    /// the /28 and /32 in it, the /20, the IPv6 /32 and the /48 and /33 in it) and outside.
    static func sample(_ count: Int) -> [IPAddress] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 16
        }
        var seen = Set<IPAddress>()
        var out: [IPAddress] = []
        var i = 0
        while out.count < count {
            let r = next()
            i += 1
            let address: IPAddress
            switch i % 8 {
            case 0, 1: address = IPAddress(v4: 0xC633_6400 | UInt32(r & 0xFF))  // 198.51.100.0/24
            case 2: address = IPAddress(v4: 0xCB00_7000 | UInt32(r & 0xFFF))  // 203.0.112.0/20
            case 3: address = IPAddress(v4: UInt32(truncatingIfNeeded: r))  // anywhere
            case 4: address = IPAddress(v6High: 0x2001_0DB8_0010_0000 | (r & 0xFFFF), low: next())  // 2001:db8:10::/48
            case 5: address = IPAddress(v6High: 0x2001_0DB8_0000_0000 | (r & 0xFFFF_FFFF), low: next())  // 2001:db8::/32
            case 6: address = IPAddress(v6High: 0x2001_0DB8_8000_0000 | (r & 0x7FFF_FFFF), low: next())  // 2001:db8:8000::/33
            default: address = IPAddress(v4: 0x0A00_0000 | UInt32(r & 0xFF_FFFF))  // 10/8
            }
            if seen.insert(address).inserted { out.append(address) }
        }
        return out
    }

    /// The names whose A answers differ between two servers (dig in batch mode, the
    /// answers compared as text, question by question).
    static func differences(primary: Int, secondary: Int, addresses: [IPAddress]) throws -> [String] {
        let zone = RegistryZone(zone: DNSName("reg.example.org")!)
        let batch = FileManager.default.temporaryDirectory.appendingPathComponent("batch-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: batch) }
        try Data(addresses.map { "\(zone.queryName(for: $0)) A" }.joined(separator: "\n").utf8).write(to: batch)
        func answers(_ port: Int) throws -> [String: [String]] {
            let dig = try Requirement.program("dig", debianPackage: "bind9-dnsutils")
            let output = try run([dig, "@127.0.0.1", "-p", String(port), "+time=2", "+tries=2", "+noall", "+question", "+answer", "+nocmd", "-f", batch.path], timeout: 300).output
            var out: [String: [String]] = [:]
            var current = ""
            for line in output.split(separator: "\n") where !line.hasPrefix(";;") {
                if line.hasPrefix(";") {
                    current = String(line.dropFirst().prefix { $0 != "\t" && $0 != " " }).lowercased()
                    out[current] = out[current] ?? []
                } else {
                    out[current, default: []].append(line.split(whereSeparator: { $0 == "\t" || $0 == " " }).joined(separator: " ").lowercased())
                }
            }
            return out
        }
        let (a, b) = (try answers(primary), try answers(secondary))
        #expect(a.count == addresses.count && b.count == addresses.count, "dig asked \(a.count) and \(b.count) of \(addresses.count) names")
        // A UDP answer lost on a busy machine is asked again over TCP before it counts.
        return a.keys.sorted().filter { a[$0]?.sorted() != b[$0]?.sorted() }.compactMap { name in
            let (first, second) = ((try? short(primary, name, "A", tcp: true)) ?? "?", (try? short(secondary, name, "A", tcp: true)) ?? "?")
            return first == second ? nil : "\(name): \(first.debugDescription) vs \(second.debugDescription)"
        }
    }

    /// Knot and BIND 9 as secondaries with NOTIFY, TSIG and a signed zone: each transfers
    /// the zone, follows a suspension within 2 s (a signed IXFR), answers 10,000 addresses as
    /// serve-dns does, and its answers validate with the zone's key.
    @Test(arguments: Secondary.allCases)
    func secondaryFollowsNotifyAndAnswersAsServeDNS(_ secondary: Secondary) async throws {
        let program = try Requirement.program(secondary.program.name, debianPackage: secondary.program.package)
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(ZoneExportTests.csv)
        let port = freePort()
        let dnssec = DNSSECKey(zone: DNSName("reg.example.org")!, algorithm: .ed25519)
        let (server, served) = try await Self.primary(registry, allowed: ["127.0.0.1/32"], notify: [port], keys: [Self.key], dnssec: dnssec)
        defer { Task { await served.stop() } }
        let folder = registry.folder.appendingPathComponent(secondary.rawValue)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (text, arguments) = secondary.configuration(folder: folder.path, port: port, primary: served.port)
        try Data(text.utf8).write(to: folder.appendingPathComponent("secondary.conf"))
        let log = folder.appendingPathComponent("secondary.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        defer { ZoneExportTests.stop(process) }
        try Self.followsAndAgrees(secondary.rawValue, secondary: port, primary: served.port, registry: registry, key: dnssec) {
            (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        }
        // The zone is signed (Ed25519: signatures made again are the same, so the change
        // came as signed differences) and validates at the secondary after the suspension.
        try Self.validates(secondary.rawValue, port: port, key: dnssec)
        // Every transfer was signed (the primary refuses others), the change came as differences.
        let statistics = server.statistics
        #expect(statistics[transfer: .incremental] >= 1, "\(secondary.rawValue): \(statistics.transfers)")
        #expect(statistics[transfer: .refused] == 0, "\(secondary.rawValue): \(statistics.transfers)")
    }

    /// The secondary on `secondary` loads the zone, answers a suspension recorded at the
    /// primary within 2 s (NOTIFY, then IXFR), and answers 10,000 addresses as the
    /// primary does.
    static func followsAndAgrees(_ what: String, secondary port: Int, primary: Int, registry: TestRegistry, key: DNSSECKey? = nil, log: () -> String) throws {
        let serial = Self.zoneSerial(try registry.store.latestRecordID(), key: key)
        try #require(ServeProcess.wait(timeout: 30) { ((try? Self.short(port, "reg.example.org", "SOA")) ?? "").contains(" \(serial) ") }, "\(what) did not transfer the zone: \(log())")
        let zone = RegistryZone(zone: DNSName("reg.example.org")!)
        let name = zone.queryName(for: ip("198.51.100.7")).description
        #expect(try Self.short(port, name, "A") == "127.0.0.2")
        _ = try registry.store.recordChange(
            of: ip("198.51.100.7"), to: .suspended, at: Int64(Date().timeIntervalSince1970 * 1000), cause: "suspension", source: "engine", caseID: "C-2026-000002",
            provisional: true)
        #expect(
            ServeProcess.wait(timeout: 2) { (try? Self.short(port, name, "A")) == "127.0.0.3" },
            "\(what) answered \((try? Self.short(port, name, "A")) ?? "?") 2 s after the suspension: \(log().suffix(1500))")
        let differences = try Self.differences(primary: primary, secondary: port, addresses: Self.sample(10_000))
        #expect(differences.isEmpty, "\(what) and serve-dns differ on \(differences.count) of 10,000 addresses, first: \(differences.prefix(3))")
    }

    /// RFC 1996, 1995 and 8945: a change at the primary (an import, a suspension) sends a
    /// signed NOTIFY, NSD asks for the differences (IXFR, signed) and answers the new status
    /// within 2 s.
    @Test func nsdFollowsEveryChangeWithinTwoSecondsOfItsNotify() async throws {
        let nsdProgram = try Requirement.program("nsd", debianPackage: "nsd")
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(ZoneExportTests.csv)
        let port = freePort()
        let (server, served) = try await Self.primary(registry, allowed: ["127.0.0.1/32"], notify: [port], keys: [Self.key])
        defer { Task { await served.stop() } }
        let folder = registry.folder.appendingPathComponent("nsd")
        let nsd = try Self.startNSD(folder: folder, port: port, primary: served.port, program: nsdProgram, request: "", key: Self.key)
        defer { ZoneExportTests.stop(nsd) }
        func log() -> String { (try? String(contentsOf: folder.appendingPathComponent("nsd.log"), encoding: .utf8)) ?? "" }
        let first = try registry.store.latestRecordID()
        try #require(ServeProcess.wait(timeout: 30) { ((try? Self.short(port, "reg.example.org", "SOA")) ?? "").contains(" \(first) ") }, "NSD did not load the zone: \(log())")
        let zone = RegistryZone(zone: DNSName("reg.example.org")!)
        let newcomer = zone.queryName(for: ip("192.0.2.9")).description
        #expect(try Self.short(port, newcomer, "A") == "")

        // An import that registers 192.0.2.0/24.
        var started = Date()
        try registry.importCSV(ZoneExportTests.csv + "192.0.2.0/24,R-000200,active,noc@new.example,2026-11-02T00:00:00Z\n", now: "2026-11-02T00:00:00Z")
        var seen = ServeProcess.wait(timeout: 2) { (try? Self.short(port, newcomer, "A")) == "127.0.0.2" }
        #expect(seen, "NSD answered \((try? Self.short(port, newcomer, "A")) ?? "?") 2 s after the import: \(log().suffix(1500))")
        let afterImport = Date().timeIntervalSince(started)

        // A suspension, as evaluation records it.
        started = Date()
        _ = try registry.store.recordChange(
            of: ip("192.0.2.9"), to: .suspended, at: Int64(Date().timeIntervalSince1970 * 1000), cause: "suspension", source: "engine", caseID: "C-2026-000001",
            provisional: true)
        seen = ServeProcess.wait(timeout: 2) { (try? Self.short(port, newcomer, "A")) == "127.0.0.3" }
        #expect(seen, "NSD answered \((try? Self.short(port, newcomer, "A")) ?? "?") 2 s after the suspension: \(log().suffix(1500))")
        let afterSuspension = Date().timeIntervalSince(started)
        #expect(try Self.short(port, newcomer, "TXT") == (try Self.short(served.port, newcomer, "TXT")))
        let statistics = server.statistics
        #expect(statistics[transfer: .incremental] >= 2, "an IXFR with the differences after each change: \(statistics.transfers)")
        #expect(statistics[transfer: .refused] == 0, "\(statistics.transfers)")
        print("NOTIFY to NSD: new answer \(Int(afterImport * 1000)) ms after the import, \(Int(afterSuspension * 1000)) ms after the suspension")
    }
}
