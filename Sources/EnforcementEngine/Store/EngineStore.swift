import Foundation
import GRDB
import LogParsers
import RegistryClient

/// The engine's front door to the database: reporters, shipments and aggregates. Each
/// public write is one transaction.
public final class EngineStore: Sendable {
    package let database: DatabasePool
    public let registry: RegistryStore

    /// Opens the store on `database`, applying the registry's and the engine's migrations.
    /// The store in the SQLite file at `path` (created when absent), its tables migrated.
    public convenience init(path: String) throws {
        try self.init(database: try DatabaseConnection.open(path: path))
    }

    package init(database: DatabasePool) throws {
        self.database = database
        registry = try RegistryStore(database: database)
        var migrator = DatabaseMigrator()
        EngineMigrations.register(in: &migrator)
        try migrator.migrate(database)
    }

    // MARK: Shipments

    /// Whether a file with this SHA-256 was already ingested.
    public func isIngested(sha256: String) throws -> Bool {
        try database.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM shipment WHERE sha256 = ? AND status = 'ingested')", arguments: [sha256]) ?? false
        }
    }

    /// Records a quarantined shipment (its figures and reason; no aggregates).
    public func recordQuarantine(_ shipment: Shipment) throws {
        var row = shipment
        row.status = .quarantined
        try database.write { db in try row.insert(db) }
    }

    /// Writes a file's shipment row and its segment in one transaction. Returns false, and
    /// writes nothing, when the same bytes were ingested meanwhile (a duplicate).
    @discardableResult
    public func commit(_ shipment: Shipment, segment: EncodedSegment) throws -> Bool {
        try database.write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM shipment WHERE sha256 = ? AND status = 'ingested')", arguments: [shipment.sha256]) == true {
                return false
            }
            var row = shipment
            row.status = .ingested
            try row.insert(db)
            guard segment.records > 0 else { return true }
            try db.execute(
                sql: "INSERT INTO segment (reporter_id, first_day, last_day, records) VALUES (?, ?, ?, ?)",
                arguments: [shipment.reporterID, segment.firstDay, segment.lastDay, segment.records])
            let segmentID = db.lastInsertedRowID
            try db.execute(sql: "INSERT INTO segment_member (segment_id, member, shipment_id) VALUES (?, 0, ?)", arguments: [segmentID, row.id!])
            let statement = try db.cachedStatement(sql: "INSERT INTO segment_block (segment_id, first_key, data, key_filter) VALUES (?, ?, ?, ?)")
            for block in segment.blocks {
                try statement.execute(arguments: [segmentID, Data(block.firstKey), Data(block.data), Data(block.keyFilter)])
            }
            return true
        }
    }

    /// The last shipments of a reporter, newest first.
    public func shipments(reporter: String, limit: Int = 10) throws -> [Shipment] {
        try database.read { db in
            try Shipment.fetchAll(db, sql: "SELECT * FROM shipment WHERE reporter_id = ? ORDER BY received_at DESC, id DESC LIMIT ?", arguments: [reporter, limit])
        }
    }
}

/// Errors of the engine's store with what the user must know.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    case reporterExists(String)
    case unknownReporter(String)
    case invalidReporterID(String)
    /// A command of the engine given a PostgreSQL `--db` (its tables are on SQLite only so far).
    case notOnPostgres

    public var description: String {
        switch self {
        case .reporterExists(let id): "reporter '\(id)' exists already"
        case .unknownReporter(let id): "unknown reporter '\(id)' (add it with: abuse-ingest reporters add \(id) --name NAME)"
        case .invalidReporterID(let id): "reporter id '\(id)' must be 1–64 letters, digits, '-', '_' or '.'"
        case .notOnPostgres:
            "this command needs the engine's tables, which are on SQLite only so far: give a SQLite --db (on PostgreSQL: registry import, lookup, export, dnssec and serve-dns)"
        }
    }

    /// Whether the caller asked for something that cannot be (a usage error, exit 2).
    public var isUsage: Bool { true }
}
