import Foundation
import Primitives
import RegistryClient
import Testing
import TestSupport

/// `registry export`: the zone as BIND and rbldnsd files, answering as `serve-dns` does.
@Suite(.serialized)
struct ZoneExportTests {
    /// Nested networks of every shape: a /24 with a /28 and a host inside, an unaligned
    /// /20, a /8 with a /24 two levels down, an IPv6 /32 with a /48 inside, an unaligned
    /// IPv6 /33.
    static let csv = """
        network,registrant,status,abuse_contact,since
        198.51.100.0/24,R-000100,active,noc@example.net,2026-01-01T00:00:00Z
        198.51.100.16/28,R-000123,suspended,abuse@example.net,2026-01-15T00:00:00Z
        198.51.100.20/32,R-000124,revoked,abuse@example.net,2026-01-15T00:00:00Z
        203.0.112.0/20,R-000130,active,noc@example.org,2026-01-01T00:00:00Z
        2001:db8::/32,R-000140,active,noc@v6.example,2026-01-01T00:00:00Z
        2001:db8:10::/48,R-000141,suspended,abuse@v6.example,2026-02-01T00:00:00Z
        2001:db8:8000::/33,R-000142,revoked,abuse@v6.example,2026-02-01T00:00:00Z
        10.0.0.0/8,R-000150,active,noc@ten.example,2026-01-01T00:00:00Z
        10.1.2.0/24,R-000151,suspended,abuse@ten.example,2026-01-01T00:00:00Z

        """

    static let probes = [
        "198.51.100.1", "198.51.100.16", "198.51.100.20", "198.51.100.31", "198.51.100.32", "198.51.101.1", "203.0.112.1", "203.0.127.255",
        "203.0.128.1", "2001:db8::1", "2001:db8:10::5", "2001:db8:11::5", "2001:db8:8000::1", "2001:db9::1", "127.0.0.2",
        // Below empty non-terminals of the /24 inside the /8: the /8 answers.
        "10.7.7.7", "10.1.9.9", "10.1.2.3", "11.0.0.1",
    ]

    /// SIGTERM, then SIGKILL after 2 s (Foundation's waitUntilExit may spin on Linux).
    static func stop(_ process: Process) {
        kill(process.processIdentifier, SIGTERM)
        if !ServeProcess.wait(timeout: 2, { !process.isRunning }) { kill(process.processIdentifier, SIGKILL) }
        _ = ServeProcess.wait(timeout: 2) { !process.isRunning }
    }

    func export(_ registry: TestRegistry) throws -> (ZoneExport, [RegistrationRecord]) {
        let records = try registry.store.currentRecords(at: time("2026-11-28T00:00:00Z"))
        return (ZoneExport(zone: DNSName("reg.example.org")!, serial: UInt32(try registry.store.latestRecordID())), records)
    }

    @Test func bindOwnersFollowPrefixAlignment() throws {
        let export = ZoneExport(zone: DNSName("reg.example.org")!, serial: 1, maxNamesPerNetwork: 256)
        #expect(try export.owners(IPNetwork(parsing: "198.51.100.0/24")) == ["*.100.51.198"])
        #expect(try export.owners(IPNetwork(parsing: "10.0.0.0/8")) == ["*.10"])
        #expect(try export.owners(IPNetwork(parsing: "192.0.2.25/32")) == ["25.2.0.192"])
        #expect(try export.owners(IPNetwork(parsing: "198.51.100.16/30")) == ["16.100.51.198", "17.100.51.198", "18.100.51.198", "19.100.51.198"])
        #expect(try export.owners(IPNetwork(parsing: "203.0.112.0/22")) == ["*.112.0.203", "*.113.0.203", "*.114.0.203", "*.115.0.203"])
        #expect(try export.owners(IPNetwork(parsing: "2001:db8::/32")) == ["*.8.b.d.0.1.0.0.2"])
        #expect(try export.owners(IPNetwork(parsing: "2001:db8:8000::/34")).count == 4)
        #expect(try export.owners(IPNetwork(parsing: "2001:db8:8000::/34")).first == "*.8.8.b.d.0.1.0.0.2")
        // The most a network can take: 128 names (an IPv4 /25 or /17), 8 (an IPv6 /33).
        #expect(try export.owners(IPNetwork(parsing: "198.51.100.0/25")).count == 128)
        #expect(try export.owners(IPNetwork(parsing: "2001:db8:8000::/33")).count == 8)
        let bounded = ZoneExport(zone: DNSName("reg.example.org")!, serial: 1, maxNamesPerNetwork: 64)
        #expect(throws: ZoneExport.TooWide.self) { _ = try bounded.owners(IPNetwork(parsing: "198.51.100.0/25")) }
    }

    /// The streamed owners and answers (straight from the store's cursor, as a transfer
    /// reads them) equal the whole-registry model's for random registries of nested
    /// networks: IPv4 in octets that are single digits too (`*.2` is also an IPv6 name),
    /// IPv6 with the top bit of either word set (SQLite orders those words signed).
    @Test(arguments: Backend.allCases) func streamedAnswersEqualTheWholeRegistryModel(_ backend: Backend) throws {
        var random = RandomRegistry(seed: 0x5EED_2026_1130)
        for trial in 0..<20 {
            let (csv, count) = random.csv(networks: 20 + random.next(200))
            let registry = try TestRegistry(backend)
            defer { registry.remove() }
            try registry.importCSV(csv)
            let (export, records) = try export(registry)
            var streamed: [ZoneExport.Entry] = []
            try export.forEachAnswer({ try registry.store.forEachCurrentRecord(at: time("2026-11-28T00:00:00Z"), $0) }) { streamed.append($0) }
            #expect(Set(streamed.map(\.owner)).count == streamed.count, "trial \(trial): an owner handed over twice")
            let model = try ZoneAnswerModel.answers(export, records)
            let got = Set(streamed.map { ZoneAnswerModel.Answer(owner: $0.owner, code: $0.code, text: $0.text) })
            let (missing, extra) = (model.subtracting(got), got.subtracting(model))
            #expect(missing.isEmpty && extra.isEmpty, "trial \(trial) (\(count) networks): missing \(missing.count), e.g. \(missing.prefix(2)); extra \(extra.count), e.g. \(extra.prefix(2))")
            #expect(try export.answers(records.reversed()).map(\.owner) == streamed.map(\.owner), "trial \(trial): the order depends on the input's")
        }
    }

    @Test(arguments: Backend.allCases) func exportsAreDeterministicAndFollowChanges(_ backend: Backend) throws {
        let registry = try TestRegistry(backend)
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        let (export, records) = try export(registry)
        #expect(try export.bind(records) == export.bind(records))
        #expect(export.rbldnsd(records) == export.rbldnsd(records))
        let bind = try export.bind(records)
        #expect(bind.contains("*.100.51.198 IN A 127.0.0.2"))
        #expect(bind.contains("20.100.51.198 IN A 127.0.0.4"))
        #expect(bind.contains("\"v=reg1; status=suspended; registrant=R-000141\""))
        // A change raises the serial.
        let before = try registry.store.latestRecordID()
        try registry.store.recordChange(of: ip("198.51.100.1"), to: .suspended, at: time("2026-11-27T00:00:00Z"), cause: "suspension", source: "engine", caseID: "C-1", provisional: true)
        #expect(try registry.store.latestRecordID() > before)
        let (after, changed) = try self.export(registry)
        #expect(after.serial > export.serial)
        #expect(try after.bind(changed).contains("\"v=reg1; status=suspended; registrant=R-000100; case=C-1\""))
    }

    @Test func bindFilePassesNamedCheckzone() throws {
        let checkzone = try Requirement.program("named-checkzone", debianPackage: "bind9-utils")
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        var (export, records) = try export(registry)
        // In-zone name servers need their addresses in the zone (glue); two, as the norm is.
        export.nameServers = NameServer.list(["ns1.reg.example.org=192.0.2.53", "ns1.reg.example.org=2001:db8::53", "ns2.reg.example.org=198.51.100.53"], zone: export.zone)
        let file = registry.folder.appendingPathComponent("reg.example.org.zone")
        try Data(try export.bind(records).utf8).write(to: file)
        let checked = try run([checkzone, "reg.example.org", file.path])
        #expect(checked.status == 0, "\(checked.output)")
        #expect(checked.output.contains("OK"))
    }

    /// rbldnsd serving the export answers every probe as serve-dns does.
    @Test func rbldnsdServingTheExportAnswersAsServeDNS() async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        let (export, records) = try export(registry)
        let folder = registry.folder.appendingPathComponent("rbldnsd")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: registry.folder.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        let data = folder.appendingPathComponent("zone")
        try Data(export.rbldnsd(records).utf8).write(to: data)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: data.path)
        let port = freePort()
        let rbldnsd = Process()
        rbldnsd.executableURL = URL(fileURLWithPath: try Requirement.program("rbldnsd", debianPackage: "rbldnsd"))
        rbldnsd.arguments = ["-n", "-b", "127.0.0.1/\(port)", "-w", folder.path, "-t", "300", "reg.example.org:combined:zone"]
        rbldnsd.standardOutput = FileHandle.nullDevice
        rbldnsd.standardError = FileHandle.nullDevice
        try rbldnsd.run()
        defer { Self.stop(rbldnsd) }
        let ours = try await RunningServer(registry: registry)
        defer { ours.stopLater() }
        let dig = try Requirement.program("dig", debianPackage: "bind9-dnsutils")
        func answer(_ port: Int, _ name: String, _ type: String) throws -> String {
            let output = try run([dig, "@127.0.0.1", "-p", String(port), "+time=2", "+tries=3", "+short", name, type]).output
            return output.split(separator: "\n").sorted().joined(separator: "\n")
        }
        // rbldnsd is ready when it answers the test entry.
        #expect(ServeProcess.wait(timeout: 10) { (try? answer(port, "2.0.0.127.reg.example.org", "A")) == "127.0.0.2" })
        let zone = RegistryZone(zone: DNSName("reg.example.org")!)
        for probe in Self.probes {
            let name = zone.queryName(for: ip(probe)).description
            for type in ["A", "TXT"] {
                let theirs = try answer(port, name, type)
                let mine = try answer(ours.port, name, type)
                #expect(theirs == mine, "\(probe) \(type): rbldnsd \(theirs.debugDescription), serve-dns \(mine.debugDescription)")
            }
        }
    }

    @Test func exportCommandWritesTheZoneAndRefusesBadArguments() throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        let db = registry.folder.appendingPathComponent("test.db").path
        let first = try CommandRunner.run(["registry", "export", "--db", db, "--format", "bind", "--zone", "reg.example.org", "--ns", "ns.reg.example.org=192.0.2.53"])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try CommandRunner.run(["registry", "export", "--db", db, "--format", "bind", "--zone", "reg.example.org", "--ns", "ns.reg.example.org=192.0.2.53"])
        #expect(first.stdout == second.stdout)
        #expect(first.stdout.contains("ns IN A 192.0.2.53"))
        let out = registry.folder.appendingPathComponent("zone.rbldnsd").path
        let rbldnsd = try CommandRunner.run(["registry", "export", "--db", db, "--format", "rbldnsd", "--out", out])
        #expect(rbldnsd.status == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains("198.51.100.16/28 :3:v=reg1; status=suspended; registrant=R-000123"))
        // A network wider than --max-names allows: exit 2, and no file, whole or partial.
        let narrow = registry.folder.appendingPathComponent("narrow.zone").path
        let refused = try CommandRunner.run(["registry", "export", "--db", db, "--format", "bind", "--max-names", "8", "--out", narrow])
        #expect(refused.status == 2 && refused.stderr.contains("198.51.100.16/28 would take 16 names"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: registry.folder.path).allSatisfy { !$0.hasPrefix("narrow.zone") })
        let toStdout = try CommandRunner.run(["registry", "export", "--db", db, "--format", "bind", "--max-names", "8"])
        #expect(toStdout.status == 2 && toStdout.stderr.contains("the output above is incomplete"), "\(toStdout.stderr)")
        #expect(try CommandRunner.run(["registry", "export", "--db", db, "--format", "json"]).status == 2)
        #expect(try CommandRunner.run(["registry", "export", "--db", db, "--format", "bind", "--ns", "ns=not-an-address"]).status == 2)
    }
}
