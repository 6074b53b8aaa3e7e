/// Named migrations for a PostgreSQL store, applied once each and in order, as GRDB's
/// migrator does for SQLite: each module registers its own, and a shipped one never
/// changes. The applied names are kept in `schema_migration`. Several processes starting
/// at once (workers on several hosts) take turns through an advisory lock.
public struct PostgresMigrator: Sendable {
    private var migrations: [(name: String, statements: [String])] = []

    public init() {}

    /// Adds a migration: SQL statements run in order, never edited once shipped.
    public mutating func register(_ name: String, _ statements: [String]) {
        precondition(!migrations.contains { $0.name == name }, "migration \(name) registered twice")
        migrations.append((name, statements))
    }

    /// The key of the advisory lock held while migrating ("abuse-ingest" in ASCII, truncated).
    static let lockKey: Int64 = 0x6162_7573_652d_696e

    /// Applies the migrations not applied yet, in one transaction.
    public func migrate(_ pool: PostgresPool) throws {
        try pool.write { session in
            try session.query("SELECT pg_advisory_xact_lock($1)", [.int(Self.lockKey)])
            try session.script(
                "CREATE TABLE IF NOT EXISTS schema_migration (identifier text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
            let applied = Set(try session.query("SELECT identifier FROM schema_migration").map { try $0.decode(String.self) })
            for migration in migrations where !applied.contains(migration.name) {
                for statement in migration.statements { try session.query(statement) }
                try session.query("INSERT INTO schema_migration (identifier) VALUES ($1)", [.text(migration.name)])
            }
        }
    }
}
