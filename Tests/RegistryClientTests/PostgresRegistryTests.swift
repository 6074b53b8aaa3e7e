import Foundation
import Primitives
@testable import RegistryClient
import Synchronization
import Testing
import TestSupport

/// What the registry on PostgreSQL adds to the behaviour both backends share (those tests
/// run on both: `Backend`): the URL form of `--db`, migrations from several hosts at once,
/// and changes announced to other hosts' readers through LISTEN/NOTIFY.
struct PostgresRegistryTests {
    @Test func parsesTheLocationsLibpqUsersWrite() throws {
        let plain = try PostgresLocation("postgres://registry@db.example:5433/abuse")
        #expect(plain == PostgresLocation(user: "registry", host: "db.example", port: 5433, database: "abuse"))
        let secret = try PostgresLocation("postgresql://registry:s%40cret@10.0.0.5/abuse?sslmode=require", environment: [:])
        #expect(secret.password == "s@cret" && secret.tls == .require && secret.port == 5432)
        #expect(!secret.description.contains("cret"), "the password never shows: \(secret)")
        let socket = try PostgresLocation("postgres://registry@/abuse?host=/var/run/postgresql", environment: ["PGPASSWORD": "pw"])
        #expect(socket.host == "/var/run/postgresql" && socket.password == "pw")
        for bad in ["postgres://db.example/abuse", "postgres://u@db.example/", "postgres://u@db.example/abuse?sslmode=verify-ca", "postgres://u@db.example/a?x=1"] {
            #expect(throws: PostgresError.self, "\(bad)") { try PostgresLocation(bad) }
        }
        let error = #expect(throws: PostgresError.self) { try PostgresLocation("postgres://u:topsecret@db.example/") }
        #expect(error.map { !"\($0)".contains("topsecret") } == true, "the password is not in the error")
    }

    @Test func hostsStartingAtOnceApplyTheMigrationsOnce() throws {
        let database = try TestPostgres()
        defer { database.remove() }
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                _ = try RegistryStore(postgres: try PostgresPool(database.location, connections: 1))
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let pool = try PostgresPool(database.location, connections: 1)
        let applied = try pool.read { try $0.query("SELECT identifier FROM schema_migration").map { try $0.decode(String.self) } }
        #expect(applied == ["registry-v1"])
    }

    @Test func aReaderOnAnotherHostHearsOfEachChange() throws {
        let registry = try TestRegistry(.postgres)
        defer { registry.remove() }
        try registry.importCSV(RegistryStoreTests.csv)
        let reader = try RegistryStore(location: registry.location)
        let live = try LiveRegistry(store: reader)
        let address = ip("192.0.2.25")
        let now = time("2026-11-28T00:00:00Z")
        #expect(live.state(of: address, at: now).status == .suspended)
        // The first look starts listening; then the marker stands still while nothing changes.
        _ = reader.backend.changeMarker()
        let quiet = try #require(try waitFor { reader.backend.changeMarker() })
        Thread.sleep(forTimeInterval: 0.2)
        #expect(reader.backend.changeMarker() == quiet, "no change, no notification")
        // A reinstatement written through another connection (another host's process).
        try registry.store.recordChange(of: address, to: .active, at: now, cause: "reinstatement", source: "staff", caseID: nil, provisional: false)
        let heard = try #require(try waitFor { reader.backend.changeMarker().flatMap { $0 != quiet ? $0 : nil } }, "notified within 2 s")
        #expect(heard != quiet)
        #expect(try live.refresh(), "the refresh folds the change in")
        #expect(live.state(of: address, at: now + 1).status == .active)
    }

    /// The registry's commands, given the same files, print the same bytes whichever database
    /// `--db` names; the engine's commands refuse PostgreSQL, saying so.
    @Test func theRegistryCommandsAnswerAlikeOnBothBackends() throws {
        let sqlite = try TestRegistry(.sqlite)
        let postgres = try TestRegistry(.postgres)
        defer {
            sqlite.remove()
            postgres.remove()
        }
        var random = RandomRegistry(seed: 0x5EED_2026_1130)
        let (csv, _) = random.csv(networks: 400)
        let (more, _) = random.csv(networks: 100, firstRegistrant: 300_000)
        let first = sqlite.folder.appendingPathComponent("registry.csv")
        let second = sqlite.folder.appendingPathComponent("registry-2.csv")
        try csv.write(to: first, atomically: true, encoding: .utf8)
        // The second file: the first with a fifth of its statuses turned, and new networks.
        var lines = csv.split(separator: "\n").map(String.init)
        for i in stride(from: 1, to: lines.count, by: 5) {
            lines[i] = lines[i].contains(",active,") ? lines[i].replacingOccurrences(of: ",active,", with: ",suspended,") : lines[i].replacingOccurrences(of: ",suspended,", with: ",active,")
        }
        let known = Set(lines.map { $0.prefix { $0 != "," } })
        lines += more.split(separator: "\n").dropFirst().map(String.init).filter { !known.contains($0.prefix { $0 != "," }) }
        try (lines.joined(separator: "\n") + "\n").write(to: second, atomically: true, encoding: .utf8)
        // Addresses inside the registered networks, and anywhere in the clusters.
        var addresses = lines.dropFirst().prefix(200).compactMap { try? IPNetwork(parsing: String($0.prefix { $0 != "," })).address.description }
        for _ in 0..<300 { addresses.append(random.network().address.description) }
        let commands: [[String]] = [
            ["registry", "import", "--json", first.path],
            ["registry", "import", "--json", second.path],
            ["registry", "lookup", "--json", "--at", "2026-11-30T00:00:00Z"] + addresses,
            ["registry", "export", "--format", "bind", "--zone", "reg.example.org", "--ns", "ns1.reg.example.org=192.0.2.53"],
            ["registry", "export", "--format", "rbldnsd", "--zone", "reg.example.org"],
        ]
        for command in commands {
            let onSQLite = try CommandRunner.run(command + ["--db", sqlite.location])
            let onPostgres = try CommandRunner.run(command + ["--db", postgres.location])
            #expect(onSQLite.status == 0 && onPostgres.status == 0, "\(command[0...1]): \(onSQLite.stderr) \(onPostgres.stderr)")
            #expect(onSQLite.stdout == onPostgres.stdout, "\(command[0...1]) prints the same on both")
            #expect(!onSQLite.stdout.isEmpty)
        }
        let shown = try [sqlite.location, postgres.location].map { try CommandRunner.run(["ip", "show", "198.51.100.7", "--json", "--db", $0]) }
        #expect(shown[0].status == 0 && shown[0].stdout == shown[1].stdout, "ip show prints the same on both: \(shown[1].stderr)")
        let staff = try [sqlite.location, postgres.location].map { try CommandRunner.run(["staff", "list", "--json", "--db", $0]) }
        #expect(staff[0].status == 0 && staff[0].stdout == staff[1].stdout, "staff list prints the same on both: \(staff[1].stderr)")
    }

    /// The server stops and comes back (a restart, a failover): a DNS reader keeps answering
    /// from memory meanwhile, a write fails whole with the reason, and afterwards the same
    /// stores work again, on new connections, and the reader hears of the next change.
    @Test func aServerRestartIsSurvivedByReadersAndWriters() throws {
        let cluster = try PrivateCluster()
        defer { cluster.remove() }
        let writer = try RegistryStore(postgres: try PostgresPool(cluster.location))
        let csv = try RegistryCSV(bytes: Array(RegistryStoreTests.csv.utf8)).rows
        _ = try writer.importRows(csv, file: "first.csv", sha256: "1", now: time("2026-11-01T00:00:00Z"))
        let live = try LiveRegistry(store: try RegistryStore(postgres: try PostgresPool(cluster.location)))
        let address = ip("192.0.2.25")
        let now = time("2026-11-28T00:00:00Z")
        _ = try live.refresh()
        #expect(live.state(of: address, at: now).status == .suspended)

        try cluster.stop()
        #expect(throws: PostgresError.self, "a refresh fails while the server is away") { try live.refresh() }
        #expect(live.state(of: address, at: now).status == .suspended, "answers go on from memory")
        let refused = #expect(throws: PostgresError.self) {
            try writer.recordChange(of: address, to: .active, at: now, cause: "reinstatement", source: "staff", caseID: nil, provisional: false)
        }
        #expect(refused.map { "\($0)".contains("127.0.0.1") } == true, "the error names the server: \(String(describing: refused))")

        try cluster.start()
        // The writer's kept connection died with the server: the write goes through on a new one.
        try writer.recordChange(of: address, to: .active, at: now, cause: "reinstatement", source: "staff", caseID: nil, provisional: false)
        #expect(try writer.history(of: address).map(\.cause) == ["import", "reinstatement"], "one reinstatement: the refused one left nothing")
        let folded = try waitFor { (try? live.refresh()) == true ? true : nil }
        #expect(folded == true, "the reader folds the change in once the server is back")
        #expect(live.state(of: address, at: now + 1).status == .active)
    }

    /// Polls `probe` for up to 2 s.
    private func waitFor<T>(_ probe: () throws -> T?) throws -> T? {
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline {
            if let value = try probe() { return value }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return nil
    }
}
