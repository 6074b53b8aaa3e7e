import Foundation
import RegistryClient

/// A database of its own for a test on the throwaway PostgreSQL cluster that `scripts/test`
/// starts (ABUSE_INGEST_TEST_POSTGRES): created empty, dropped by `remove()`. Without the
/// cluster the test fails, saying how to get one.
public struct TestPostgres: Sendable {
    /// The test's database.
    public let location: PostgresLocation
    private let admin: PostgresLocation

    public init() throws {
        guard let url = ProcessInfo.processInfo.environment["ABUSE_INGEST_TEST_POSTGRES"] else {
            throw MissingRequirement(
                "ABUSE_INGEST_TEST_POSTGRES is not set: run the tests through scripts/test, which starts a throwaway PostgreSQL (apt-get install postgresql-15)")
        }
        admin = try PostgresLocation(url)
        var own = admin
        own.database = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        location = own
        let pool = try PostgresPool(admin, connections: 1)
        try pool.borrow { try $0.script("CREATE DATABASE \(own.database)") }
    }

    /// The test database's URL, for `--db`.
    public var url: String { "postgres://\(location.user)@\(location.host):\(location.port)/\(location.database)" }

    /// Drops the database (its connections ended first).
    public func remove() {
        guard let pool = try? PostgresPool(admin, connections: 1) else { return }
        _ = try? pool.borrow { try $0.script("DROP DATABASE IF EXISTS \(location.database) WITH (FORCE)") }
    }
}
