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
            var ipBytes: [IPAddress: Data] = [:]
            func key(_ ip: IPAddress) -> Data {
                if let known = ipBytes[ip] { return known }
                let bytes = IPKey.bytes(ip)
                ipBytes[ip] = bytes
                return bytes
            }
            // One packed row per client and day, merged with what earlier files stored.
            try db.add(function: Self.mergeCounts)
            let dayStatement = try db.cachedStatement(
                sql: """
                    INSERT INTO event_day (ip, reporter_id, day, counts, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (ip, reporter_id, day) DO UPDATE SET counts = merge_counts(counts, excluded.counts),
                        first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)
                    """)
            var entries: [FileAggregate.DayKey: [DayCounts.Entry]] = [:]
            for (k, count) in aggregate.counts {
                let day = Int32(k.hour >= 0 ? k.hour / 24 : (k.hour - 23) / 24)
                let entry = DayCounts.Entry(hourOfDay: UInt8(Int(k.hour) - Int(day) * 24), kind: k.kind, reason: k.reason, status: k.status, count: count)
                entries[FileAggregate.DayKey(ip: k.ip, day: day), default: []].append(entry)
            }
            // In primary-key order: the B-tree is filled front to back, not at random.
            let ordered = entries.sorted { a, b in
                a.key.ip != b.key.ip ? IPKey.precedes(a.key.ip, b.key.ip) : a.key.day < b.key.day
            }
            for (dayKey, list) in ordered {
                let seen = aggregate.seen[dayKey] ?? (0, 0)
                try dayStatement.execute(arguments: [key(dayKey.ip), reporter, Int(dayKey.day), DayCounts.encode(list), seen.first, seen.last])
            }
            // Samples: one packed set per client and reporter, the reservoir bounded across files.
            try db.add(function: Self.mergeSamples)
            let sampleStatement = try db.cachedStatement(
                sql: """
                    INSERT INTO sample_set (ip, reporter_id, samples) VALUES (?, ?, ?)
                    ON CONFLICT (ip, reporter_id) DO UPDATE SET samples = merge_samples(samples, excluded.samples, ?)
                    """)
            var perClient: [IPAddress: [SampleSet.Entry]] = [:]
            for (k, samples) in aggregate.samples {
                for s in samples {
                    perClient[k.ip, default: []].append(
                        SampleSet.Entry(kind: k.kind, reason: k.reason, priority: s.priority, shipmentID: shipmentID, line: s.line, offset: s.offset))
                }
            }
            for (ip, list) in perClient.sorted(by: { IPKey.precedes($0.key, $1.key) }) {
                try sampleStatement.execute(arguments: [key(ip), reporter, SampleSet.encode(list, limit: aggregate.samplesPerKey), aggregate.samplesPerKey])
            }
            return true
        }
    }

    /// `merge_counts(a, b)`: the sum of two packed `DayCounts` values.
    static let mergeCounts = DatabaseFunction("merge_counts", argumentCount: 2, pure: true) { values in
        guard let a = Data.fromDatabaseValue(values[0]), let b = Data.fromDatabaseValue(values[1]) else { return nil }
        return try DayCounts.merge(a, b)
    }

    /// `merge_samples(a, b, limit)`: two packed sample sets as one, `limit` per kind.reason.
    static let mergeSamples = DatabaseFunction("merge_samples", argumentCount: 3, pure: true) { values in
        guard let a = Data.fromDatabaseValue(values[0]), let b = Data.fromDatabaseValue(values[1]),
            let limit = Int.fromDatabaseValue(values[2])
        else { return nil }
        return SampleSet.encode(try SampleSet.decode(a) + SampleSet.decode(b), limit: limit)
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
