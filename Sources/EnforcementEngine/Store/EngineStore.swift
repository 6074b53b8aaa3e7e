import Foundation
import GRDB
import LogParsers
import RegistryClient

/// The engine's front door to the database: reporters, shipments and aggregates. Each
/// public write is one transaction. On SQLite (the default) or PostgreSQL: every operation
/// is written once for both (`sql`, a `SQLDatabase`).
public final class EngineStore: Sendable {
    package let sql: SQLDatabase
    public let registry: RegistryStore

    /// The store in the SQLite file at `path` (created when absent), its tables migrated.
    public convenience init(path: String) throws {
        try self.init(database: try DatabaseConnection.open(path: path))
    }

    /// The store at `location`: a `postgres://` URL, or a SQLite file's path.
    public convenience init(location: String) throws {
        if PostgresLocation.isLocation(location) {
            try self.init(postgres: try PostgresPool(try PostgresLocation(location)))
        } else {
            try self.init(path: location)
        }
    }

    /// Opens the store on `database`, applying the registry's and the engine's migrations.
    package init(database: DatabasePool) throws {
        sql = .sqlite(database)
        registry = try RegistryStore(database: database)
        var migrator = DatabaseMigrator()
        EngineMigrations.register(in: &migrator)
        try migrator.migrate(database)
    }

    /// The store in a PostgreSQL database, the registry's and the engine's migrations applied.
    public init(postgres pool: PostgresPool) throws {
        sql = .postgres(pool)
        registry = try RegistryStore(postgres: pool)
        try PostgresEngineMigrations.migrator.migrate(pool)
    }

    /// The SQLite database itself, for tools and tests that inspect the file (integrity,
    /// raw rows); a store on PostgreSQL has none.
    package var database: DatabasePool {
        get throws(EngineError) {
            guard case .sqlite(let pool) = sql else { throw .notOnPostgres }
            return pool
        }
    }

    // MARK: Shipments

    /// Whether a file with this SHA-256 was already ingested.
    public func isIngested(sha256: String) throws -> Bool {
        try sql.read { db in try db.exists("SELECT 1 FROM shipment WHERE sha256 = ? AND status = 'ingested'", [.text(sha256)]) }
    }

    /// Records a quarantined shipment (its figures and reason; no aggregates).
    public func recordQuarantine(_ shipment: Shipment) throws {
        var row = shipment
        row.status = .quarantined
        try sql.write { db in _ = try row.insert(db) }
    }

    /// Writes a file's shipment row and its segment in one transaction. Returns false, and
    /// writes nothing, when the same bytes were ingested meanwhile (a duplicate). On
    /// PostgreSQL a transaction the server could not finish (a deadlock, a lost connection,
    /// a restart) is run again.
    @discardableResult
    public func commit(_ shipment: Shipment, segment: EncodedSegment) throws -> Bool {
        if segment.records > 0, case .postgres(let pool) = sql { try SegmentPartitions.ensure(day: segment.firstDay, pool) }
        var row = shipment
        row.status = .ingested
        return try sql.writeRetrying { db, retried in
            // Another process may have committed the same bytes since the file was
            // identified: the unique index decides, and then nothing is written. After a
            // lost connection, the row found may be this very commit's.
            guard let shipmentID = try row.insert(db) else {
                return retried ? try row.isStored(db) : false
            }
            guard segment.records > 0 else { return true }
            let day = SQLValue.integer(Int64(segment.firstDay))
            guard
                let segmentID = try db.integer(
                    "INSERT INTO segment (reporter_id, first_day, last_day, records) VALUES (?, ?, ?, ?) RETURNING id",
                    [.text(shipment.reporterID), day, .integer(Int64(segment.lastDay)), .integer(segment.records)])
            else { throw SQLColumnError(column: 0, expected: "segment id", statement: "INSERT INTO segment") }
            // On PostgreSQL, members and blocks carry their segment's first day: the key of
            // the day partitions they live in.
            let partitioned = db.dialect == .postgres
            try db.execute(
                partitioned
                    ? "INSERT INTO segment_member (segment_id, member, shipment_id, first_day) VALUES (?, 0, ?, ?)"
                    : "INSERT INTO segment_member (segment_id, member, shipment_id) VALUES (?, 0, ?)",
                [.integer(segmentID), .integer(shipmentID)] + (partitioned ? [day] : []))
            // Many blocks a statement: one round trip for a file's blocks on PostgreSQL.
            try db.insert(
                into: "segment_block", columns: ["segment_id", "first_key", "data", "key_filter"] + (partitioned ? ["first_day"] : []),
                rows: segment.blocks.map { [.integer(segmentID), .blob($0.firstKey), .blob($0.data), .blob($0.keyFilter)] + (partitioned ? [day] : []) })
            return true
        }
    }

    /// The last shipments of a reporter, newest first.
    public func shipments(reporter: String, limit: Int = 10) throws -> [Shipment] {
        try sql.read { db in
            try db.rows(
                "SELECT \(Shipment.columns) FROM shipment WHERE reporter_id = ? ORDER BY received_at DESC, id DESC LIMIT ?", [.text(reporter), .integer(limit)],
                Shipment.init(row:))
        }
    }
}

/// Errors of the engine's store with what the user must know.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    case reporterExists(String)
    case unknownReporter(String)
    case invalidReporterID(String)
    /// The SQLite file's own database asked of a store on PostgreSQL.
    case notOnPostgres

    public var description: String {
        switch self {
        case .reporterExists(let id): "reporter '\(id)' exists already"
        case .unknownReporter(let id): "unknown reporter '\(id)' (add it with: abuse-ingest reporters add \(id) --name NAME)"
        case .invalidReporterID(let id): "reporter id '\(id)' must be 1–64 letters, digits, '-', '_' or '.'"
        case .notOnPostgres:
            "this reads the SQLite file itself: give a SQLite --db"
        }
    }

    /// Whether the caller asked for something that cannot be (a usage error, exit 2).
    public var isUsage: Bool { true }
}
