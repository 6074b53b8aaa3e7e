import Foundation
import GRDB
import Primitives

/// The registry in the embedded database: registrations with their full history. Each
/// public write is one transaction.
public final class RegistryStore: Sendable {
    package let database: DatabasePool

    /// Opens the store on `database`, applying the registry's migrations.
    /// The registry in the SQLite file at `path` (created when absent).
    public convenience init(path: String) throws {
        try self.init(database: try DatabaseConnection.open(path: path))
    }

    package init(database: DatabasePool) throws {
        self.database = database
        var migrator = DatabaseMigrator()
        RegistryMigrations.register(in: &migrator)
        try migrator.migrate(database)
    }

    /// What an import changed.
    public struct ImportSummary: Sendable, Codable, Equatable {
        public var file: String
        public var sha256: String
        public var rows: Int
        /// Networks seen for the first time.
        public var added: Int
        /// Networks whose registrant, status, contact or since changed.
        public var changed: Int
        public var unchanged: Int
    }

    /// Applies validated rows in one transaction. A row equal to the network's latest
    /// imported state changes nothing, so re-importing a file is a no-op.
    public func importRows(_ rows: [RegistryCSV.Row], file: String, sha256: String, now: Int64) throws -> ImportSummary {
        try database.write { db in
            var latest: [IPNetwork: (registrant: String, status: String, contact: String, since: Int64)] = [:]
            latest.reserveCapacity(rows.count)
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT r.family, r.net_high, r.net_low, r.prefix_length, r.registrant, r.status, r.abuse_contact, r.valid_from
                    FROM registration r JOIN (SELECT MAX(id) AS id FROM registration WHERE cause = 'import'
                                              GROUP BY family, net_high, net_low, prefix_length) m ON r.id = m.id
                    """)
            while let row = try cursor.next() {
                let network = Self.network(family: row[0], high: row[1], low: row[2], prefix: row[3])
                latest[network] = (row[4], row[5], row[6], row[7])
            }
            var summary = ImportSummary(file: file, sha256: sha256, rows: rows.count, added: 0, changed: 0, unchanged: 0)
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO registration (network, family, net_high, net_low, prefix_length, registrant, status, abuse_contact,
                                              valid_from, recorded_at, cause, source, case_id, provisional)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'import', ?, NULL, 0)
                    """)
            for row in rows {
                if let previous = latest[row.network] {
                    if previous.registrant == row.registrant, previous.status == row.status.rawValue, previous.contact == row.abuseContact,
                        previous.since == row.since
                    {
                        summary.unchanged += 1
                        continue
                    }
                    summary.changed += 1
                } else {
                    summary.added += 1
                }
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

    static func network(family: Int, high: Int64, low: Int64, prefix: Int) -> IPNetwork {
        let address = family == 4 ? IPAddress(v4: UInt32(truncatingIfNeeded: low)) : IPAddress(v6High: UInt64(bitPattern: high), low: UInt64(bitPattern: low))
        return IPNetwork(uncheckedAddress: address, prefixLength: prefix)
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
    public func record(for ip: IPAddress, at time: Int64) throws -> RegistrationRecord? {
        try database.read { db in try Self.record(db, ip, time) }
    }

    package static func record(_ db: Database, _ ip: IPAddress, _ time: Int64, prefixLengths: [Int]? = nil) throws -> RegistrationRecord? {
        // One indexed point query per prefix length in use, longest first: the first
        // network that existed at `time` wins.
        let statement = try db.cachedStatement(
            sql: """
                SELECT * FROM registration
                WHERE family = ? AND net_high = ? AND net_low = ? AND prefix_length = ? AND valid_from <= ?
                ORDER BY valid_from DESC, id DESC LIMIT 1
                """)
        let lengths = try prefixLengths ?? Self.prefixLengths(db, family: ip.family)
        for length in lengths {
            let key = RegistrationRecord.key(IPNetwork(uncheckedAddress: ip, prefixLength: length))
            if let found = try RegistrationRecord.fetchOne(statement, arguments: [key.family, key.high, key.low, key.prefix, time]) {
                return found
            }
        }
        return nil
    }

    /// The prefix lengths registered for a family, longest first (a handful in practice).
    package static func prefixLengths(_ db: Database, family: IPAddress.Family) throws -> [Int] {
        try Int.fetchAll(db, sql: "SELECT DISTINCT prefix_length FROM registration WHERE family = ? ORDER BY prefix_length DESC", arguments: [family == .v4 ? 4 : 6])
    }

    /// The state of `ip` at `time`, read from the database.
    public func state(of ip: IPAddress, at time: Int64) throws -> RegistrationState {
        guard let record = try record(for: ip, at: time) else { return .unregistered }
        return RegistrationState(
            status: record.registrationStatus, network: record.ipNetwork, registrant: record.registrant, caseID: record.caseID,
            validFrom: record.validFrom)
    }

    /// Every row of the networks that contain `ip` (all prefix lengths), oldest first.
    public func history(of ip: IPAddress) throws -> [RegistrationRecord] {
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

    /// A change of status by the engine or staff (suspension, reinstatement, …): a new row
    /// copying the network's current registrant and contact. Throws if `ip` has no
    /// registration at `time`.
    @discardableResult
    public func recordChange(
        of ip: IPAddress, to status: RegistrationStatus, at time: Int64, cause: String, source: String, caseID: String?,
        provisional: Bool
    ) throws -> RegistrationRecord {
        try database.write { db in
            try Self.recordChange(db, of: ip, to: status, at: time, cause: cause, source: source, caseID: caseID, provisional: provisional)
        }
    }

    /// The same, inside a caller's transaction.
    package static func recordChange(
        _ db: Database, of ip: IPAddress, to status: RegistrationStatus, at time: Int64, cause: String, source: String,
        caseID: String?, provisional: Bool
    ) throws -> RegistrationRecord {
        guard RegistrationStatus.recordable.contains(status) else { throw RegistryError.notRecordable(status) }
        guard let current = try record(db, ip, time) else { throw RegistryError.notRegistered(ip.description) }
        var next = current
        next.id = nil
        next.status = status.rawValue
        next.validFrom = time
        next.recordedAt = time
        next.cause = cause
        next.source = source
        next.caseID = caseID
        next.provisional = provisional
        try next.insert(db)
        return next
    }

    /// The index of every row, for bulk lookups (ingest, the DNS server).
    public func loadIndex() throws -> RegistrationIndex {
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
                let network = Self.network(family: family, high: row[1], low: row[2], prefix: row[3])
                let status = RegistrationStatus(rawValue: row[4]) ?? .unknown
                rows.append(IndexRow(network: network, status: status, registrant: row[5], caseID: row[6], validFrom: row[7]))
            }
            // SQLite orders IPv6 words as signed integers: re-sort that part unsigned.
            if let firstV6 = rows.firstIndex(where: { $0.network.address.family == .v6 }) {
                rows[firstV6...].sort { a, b in
                    if a.network.address != b.network.address { return a.network.address < b.network.address }
                    if a.network.prefixLength != b.network.prefixLength { return a.network.prefixLength < b.network.prefixLength }
                    return a.validFrom < b.validFrom
                }
            }
            return RegistrationIndex(sortedRows: rows)
        }
    }

    /// Every network's row in force at `time` (its latest row not after it), ordered by
    /// family, address and prefix length: the registry as a zone exports it. With
    /// `recordID`, the registry as it stood when that row was the latest (rows after it
    /// ignored): the zone a secondary holds at that serial, for IXFR.
    public func currentRecords(at time: Int64, through recordID: Int64 = .max) throws -> [RegistrationRecord] {
        var records: [RegistrationRecord] = []
        try forEachCurrentRecord(at: time, through: recordID) { records.append($0) }
        return records
    }

    /// The same rows handed to `body` one at a time, in the same order, without holding
    /// them (`CurrentRecords`). `body` runs inside one read transaction, so it sees one
    /// state throughout.
    public func forEachCurrentRecord(at time: Int64, through recordID: Int64 = .max, _ body: (RegistrationRecord) throws -> Void) throws {
        try readCurrentRecords(at: time, through: [recordID]) { cursors in
            while let record = try cursors[0].next() { try body(record) }
        }
    }

    /// Cursors over the registry as it stood at each of `recordIDs` (as `currentRecords`
    /// gives it), read side by side in one read transaction: a zone's differences between two
    /// serials are a merge of two of them.
    public func readCurrentRecords<T>(at time: Int64, through recordIDs: [Int64], _ body: ([CurrentRecords]) throws -> T) throws -> T {
        try database.read { db in
            let cursors = try recordIDs.map { recordID in
                // The network words are signed in SQLite: `x < 0` first puts them in unsigned order.
                CurrentRecords(
                    try RegistrationRecord.fetchCursor(
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

    /// The newest history row id (0 when empty): a change counter for live readers.
    public func latestRecordID() throws -> Int64 {
        try database.read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM registration") ?? 0 }
    }
}

public enum RegistryError: Error, CustomStringConvertible, Equatable {
    case notRegistered(String)
    case notRecordable(RegistrationStatus)

    public var description: String {
        switch self {
        case .notRegistered(let ip): "\(ip) has no registration to change"
        case .notRecordable(let status): "'\(status.rawValue)' cannot be recorded as a registration status"
        }
    }
}
