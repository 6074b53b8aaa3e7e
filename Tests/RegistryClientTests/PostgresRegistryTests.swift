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
