import Foundation
import GRDB
import LogParsers
import RegistryClient

/// The engine's front door to the database: reporters, shipments and aggregates. Each
/// public write is one transaction.
public final class EngineStore: Sendable {
    public let database: DatabasePool
    public let registry: RegistryStore

    /// Opens the store on `database`, applying the registry's and the engine's migrations.
    public init(database: DatabasePool) throws {
        self.database = database
        registry = try RegistryStore(database: database)
        var migrator = DatabaseMigrator()
        EngineMigrations.register(in: &migrator)
        try migrator.migrate(database)
    }

    // MARK: Reporters

    public func addReporter(_ reporter: Reporter) throws {
        try database.write { db in
            if try Reporter.fetchOne(db, key: reporter.id) != nil { throw EngineError.reporterExists(reporter.id) }
            try reporter.insert(db)
        }
    }

    public func reporters() throws -> [Reporter] {
        try database.read { db in try Reporter.order(Column("id")).fetchAll(db) }
    }

    public func reporter(id: String) throws -> Reporter? {
        try database.read { db in try Reporter.fetchOne(db, key: id) }
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
        row.status = "quarantined"
        try database.write { db in try row.insert(db) }
    }

    /// Writes a file's shipment row and aggregates in one transaction. Returns false, and
    /// writes nothing, when the same bytes were ingested meanwhile (a duplicate).
    @discardableResult
    public func commit(_ shipment: Shipment, aggregate: FileAggregate) throws -> Bool {
        try database.write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM shipment WHERE sha256 = ? AND status = 'ingested')", arguments: [shipment.sha256]) == true {
                return false
            }
            var row = shipment
            row.status = "ingested"
            try row.insert(db)
            let shipmentID = row.id!
            let reporter = shipment.reporterID
            let countStatement = try db.cachedStatement(
                sql: """
                    INSERT INTO event_count (reporter_id, ip, hour, kind, reason, status, count) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (ip, reporter_id, hour, kind, reason, status) DO UPDATE SET count = count + excluded.count
                    """)
            var ipBytes: [IPAddress: Data] = [:]
            func key(_ ip: IPAddress) -> Data {
                if let known = ipBytes[ip] { return known }
                let bytes = IPKey.bytes(ip)
                ipBytes[ip] = bytes
                return bytes
            }
            // In primary-key order: the B-tree is filled front to back, not at random.
            let ordered = aggregate.counts.sorted { a, b in
                if a.key.ip != b.key.ip { return IPKey.precedes(a.key.ip, b.key.ip) }
                if a.key.hour != b.key.hour { return a.key.hour < b.key.hour }
                if a.key.kind != b.key.kind { return a.key.kind < b.key.kind }
                if a.key.reason != b.key.reason { return a.key.reason < b.key.reason }
                return a.key.status < b.key.status
            }
            for (k, count) in ordered {
                try countStatement.execute(arguments: [reporter, key(k.ip), Int(k.hour), Int(k.kind), Int(k.reason), Int(k.status), count])
            }
            let seenStatement = try db.cachedStatement(
                sql: """
                    INSERT INTO ip_seen (ip, first_seen, last_seen) VALUES (?, ?, ?)
                    ON CONFLICT (ip) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)
                    """)
            let reporterSeenStatement = try db.cachedStatement(
                sql: """
                    INSERT INTO ip_reporter_seen (ip, reporter_id, first_seen, last_seen) VALUES (?, ?, ?, ?)
                    ON CONFLICT (ip, reporter_id) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
                        last_seen = max(last_seen, excluded.last_seen)
                    """)
            for (ip, range) in aggregate.seen {
                let bytes = key(ip)
                try seenStatement.execute(arguments: [bytes, range.first, range.last])
                try reporterSeenStatement.execute(arguments: [bytes, reporter, range.first, range.last])
            }
            let sampleStatement = try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO sample (ip, reporter_id, kind, reason, priority, shipment_id, line, offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            let trimStatement = try db.cachedStatement(
                sql: """
                    DELETE FROM sample WHERE ip = ? AND reporter_id = ? AND kind = ? AND reason = ? AND priority > (
                        SELECT priority FROM sample WHERE ip = ? AND reporter_id = ? AND kind = ? AND reason = ?
                        ORDER BY priority LIMIT 1 OFFSET ?)
                    """)
            let orderedSamples = aggregate.samples.sorted { a, b in
                if a.key.ip != b.key.ip { return IPKey.precedes(a.key.ip, b.key.ip) }
                return (a.key.kind, a.key.reason) < (b.key.kind, b.key.reason)
            }
            for (k, samples) in orderedSamples {
                let bytes = key(k.ip)
                let kind = Int(k.kind)
                let reason = Int(k.reason)
                for s in samples {
                    try sampleStatement.execute(arguments: [bytes, reporter, kind, reason, s.priority, shipmentID, s.line, Int64(s.offset)])
                }
                // Keep the reservoir bounded across files: the smallest priorities win.
                try trimStatement.execute(arguments: [bytes, reporter, kind, reason, bytes, reporter, kind, reason, aggregate.samplesPerKey - 1])
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

    public var description: String {
        switch self {
        case .reporterExists(let id): "reporter '\(id)' exists already"
        case .unknownReporter(let id): "unknown reporter '\(id)' (add it with: abuse-ingest reporters add \(id) --name NAME)"
        case .invalidReporterID(let id): "reporter id '\(id)' must be 1–64 letters, digits, '-', '_' or '.'"
        }
    }
}
