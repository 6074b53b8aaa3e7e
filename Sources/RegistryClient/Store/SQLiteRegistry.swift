import Foundation
import GRDB
import Primitives

/// The registry in the embedded SQLite file (the default): registrations with their full
/// history. Each write is one transaction.
final class SQLiteRegistry: RegistryBackend {
    let database: DatabasePool

    init(database: DatabasePool) throws {
        self.database = database
        var migrator = DatabaseMigrator()
        RegistryMigrations.register(in: &migrator)
        try migrator.migrate(database)
    }

    func importRows(_ rows: [RegistryCSV.Row], file: String, sha256: String, now: Int64) throws -> RegistryStore.ImportSummary {
        try database.write { db in
            var delta = ImportDelta(capacity: rows.count)
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT r.family, r.net_high, r.net_low, r.prefix_length, r.registrant, r.status, r.abuse_contact, r.valid_from
                    FROM registration r JOIN (SELECT MAX(id) AS id FROM registration WHERE cause = 'import'
                                              GROUP BY family, net_high, net_low, prefix_length) m ON r.id = m.id
                    """)
            while let row = try cursor.next() {
                delta.remember(RegistrationRecord.network(family: row[0], high: row[1], low: row[2], prefix: row[3]), .init(registrant: row[4], status: row[5], contact: row[6], since: row[7]))
            }
            let (changed, summary) = delta.changes(rows, file: file, sha256: sha256)
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO registration (network, family, net_high, net_low, prefix_length, registrant, status, abuse_contact,
                                              valid_from, recorded_at, cause, source, case_id, provisional)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'import', ?, NULL, 0)
                    """)
            for row in changed {
                let key = RegistrationRecord.key(row.network)
                try insert.execute(arguments: [
                    row.network.description, key.family, key.high, key.low, key.prefix, row.registrant, row.status.rawValue,
                    row.abuseContact, row.since, now, sha256,
                ])
            }
            try db.execute(
                sql: "INSERT INTO registry_import (file, sha256, imported_at, rows, changed) VALUES (?, ?, ?, ?, ?)",
                arguments: [file, sha256, now, rows.count, summary.added + summary.changed])
            return summary
        }
    }

    /// A SQL condition matching every network that could contain `ip` (one per prefix
    /// length), with its arguments.
    private static func containing(_ ip: IPAddress) -> (sql: String, arguments: StatementArguments) {
        let bits = ip.family == .v4 ? 32 : 128
        var arguments: StatementArguments = [ip.family == .v4 ? 4 : 6]
        for length in 0...bits {
            let key = RegistrationRecord.key(IPNetwork(uncheckedAddress: ip, prefixLength: length))
            arguments += [key.high, key.low, key.prefix]
        }
        let values = Array(repeating: "(?, ?, ?)", count: bits + 1).joined(separator: ", ")
        return ("family = ? AND (net_high, net_low, prefix_length) IN (VALUES \(values))", arguments)
    }

    /// The history row in force for `ip` at `time`: the longest registered prefix that
    /// existed then, and its latest row not after `time`.
    func record(for ip: IPAddress, at time: Int64) throws -> RegistrationRecord? {
        try database.read { db in try RegistryStore.record(SQLiteSQLSession(db), ip, time) }
    }

    /// Every row of the networks that contain `ip` (all prefix lengths), oldest first.
    func history(of ip: IPAddress) throws -> [RegistrationRecord] {
        try database.read { db in
            let (condition, arguments) = Self.containing(ip)
            return try RegistrationRecord.fetchAll(
                db,
                sql: """
                    SELECT * FROM registration WHERE \(condition)
                    ORDER BY valid_from, id
                    """,
                arguments: arguments)
        }
    }

    func recordChange(
        of ip: IPAddress, to status: RegistrationStatus, at time: Int64, cause: String, source: String, caseID: String?,
        provisional: Bool
    ) throws -> RegistrationRecord {
        try database.write { db in
            try RegistryStore.recordChange(
                SQLiteSQLSession(db), of: ip, to: status, at: time, cause: cause, source: source, caseID: caseID, provisional: provisional)
        }
    }

    /// The index of every row, for bulk lookups (ingest, the DNS server).
    func loadIndex() throws -> RegistrationIndex {
        try database.read { db in
            var rows: [IndexRow] = []
            rows.reserveCapacity(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM registration") ?? 0)
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT family, net_high, net_low, prefix_length, status, registrant, case_id, valid_from FROM registration
                    ORDER BY family, net_high, net_low, prefix_length, valid_from, id
                    """)
            while let row = try cursor.next() {
                let family: Int = row[0]
                let network = RegistrationRecord.network(family: family, high: row[1], low: row[2], prefix: row[3])
                let status = RegistrationStatus(rawValue: row[4]) ?? .unknown
                rows.append(IndexRow(network: network, status: status, registrant: row[5], caseID: row[6], validFrom: row[7]))
            }
            return RegistrationIndex(signedOrderRows: rows)
        }
    }

    func readCurrentRecords<T>(at time: Int64, through recordIDs: [Int64], _ body: ([RegistryStore.CurrentRecords]) throws -> T) throws -> T {
        try database.read { db in
            let cursors = try recordIDs.map { recordID in
                // The network words are signed in SQLite: `x < 0` first puts them in unsigned order.
                RegistryStore.CurrentRecords(
                    cursor: try RegistrationRecord.fetchCursor(
                        db,
                        sql: """
                            SELECT * FROM registration WHERE valid_from <= ? AND id <= ?
                            ORDER BY family, net_high < 0, net_high, net_low < 0, net_low, prefix_length, valid_from, id
                            """,
                        arguments: [time, recordID]))
            }
            return try body(cursors)
        }
    }

    func historyMark() throws -> String? {
        try database.read { db in try String.fetchOne(db, sql: RegistryStore.historyMarkSQL) }
    }

    func latestRecordID() throws -> Int64 {
        try database.read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM registration") ?? 0 }
    }

    func histories(changedAfter lastID: Int64, limit: Int) throws -> (networks: [IPNetwork: [RegistrationRecord]], maxID: Int64)? {
        try database.read { db in
            let changed = try RegistrationRecord.fetchAll(db, sql: "SELECT * FROM registration WHERE id > ? ORDER BY id", arguments: [lastID])
            guard let maxID = changed.last?.id else { return nil }
            var networks: [IPNetwork: [RegistrationRecord]] = [:]
            for network in Set(changed.map(\.ipNetwork)) {
                let key = RegistrationRecord.key(network)
                networks[network] = try RegistrationRecord.fetchAll(
                    db,
                    sql: """
                        SELECT * FROM registration WHERE family = ? AND net_high = ? AND net_low = ? AND prefix_length = ? AND id <= ?
                        ORDER BY valid_from, id
                        """,
                    arguments: [key.family, key.high, key.low, key.prefix, maxID])
                if networks.count > limit { break }
            }
            return (networks, maxID)
        }
    }

    /// Size and modification time (ns) of the database and its WAL; nil when it cannot tell.
    func changeMarker() -> [Int]? {
        var out: [Int] = []
        for file in [database.path, database.path + "-wal"] {
            var info = stat()
            if stat(file, &info) != 0 {
                if file == database.path { return nil }
                out += [-1, -1, -1]
                continue
            }
            out += [Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
        }
        return out
    }
}
