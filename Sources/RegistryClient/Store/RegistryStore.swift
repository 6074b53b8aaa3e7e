import Foundation
import GRDB
import Primitives

/// The registry: registrations with their full history, in the embedded SQLite file (the
/// default) or in PostgreSQL (`--db postgres://…`). Each write is one transaction; rows are
/// never updated or deleted.
public final class RegistryStore: Sendable {
    let backend: any RegistryBackend

    /// The registry in the SQLite file at `path` (created when absent).
    public convenience init(path: String) throws {
        try self.init(database: try DatabaseConnection.open(path: path))
    }

    /// The registry at `location`: a `postgres://` URL, or a SQLite file's path.
    public convenience init(location: String) throws {
        if PostgresLocation.isLocation(location) {
            try self.init(postgres: try PostgresPool(try PostgresLocation(location)))
        } else {
            try self.init(path: location)
        }
    }

    /// The registry in a PostgreSQL database, its migrations applied.
    public init(postgres pool: PostgresPool) throws {
        backend = try PostgresRegistry(pool: pool)
    }

    package init(database: DatabasePool) throws {
        backend = try SQLiteRegistry(database: database)
    }

    /// A name for the registration history as it stands, nil while it is empty: its latest
    /// row's id and time, and its first row's time. Rows are only ever appended (triggers
    /// refuse the rest), and appended in id order, so a new row changes the name; the times
    /// tell a database made again from the same files apart. Two index lookups.
    public func historyMark() throws -> String? {
        try backend.historyMark()
    }

    static let historyMarkSQL = "SELECT (SELECT id || '-' || recorded_at FROM registration ORDER BY id DESC LIMIT 1) || '-' || (SELECT recorded_at FROM registration ORDER BY id LIMIT 1)"

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
        try backend.importRows(rows, file: file, sha256: sha256, now: now)
    }

    /// The history row in force for `ip` at `time`: the longest registered prefix that
    /// existed then, and its latest row not after `time`.
    public func record(for ip: IPAddress, at time: Int64) throws -> RegistrationRecord? {
        try backend.record(for: ip, at: time)
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
        try backend.history(of: ip)
    }

    /// A change of status by the engine or staff (suspension, reinstatement, …): a new row
    /// copying the network's current registrant and contact. Throws if `ip` has no
    /// registration at `time`.
    @discardableResult
    public func recordChange(
        of ip: IPAddress, to status: RegistrationStatus, at time: Int64, cause: String, source: String, caseID: String?,
        provisional: Bool
    ) throws -> RegistrationRecord {
        guard RegistrationStatus.recordable.contains(status) else { throw RegistryError.notRecordable(status) }
        return try backend.recordChange(of: ip, to: status, at: time, cause: cause, source: source, caseID: caseID, provisional: provisional)
    }

    /// The index of every row, for bulk lookups (ingest, the DNS server).
    public func loadIndex() throws -> RegistrationIndex {
        try backend.loadIndex()
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
        try backend.readCurrentRecords(at: time, through: recordIDs, body)
    }

    /// The newest history row id (0 when empty): a change counter for live readers.
    public func latestRecordID() throws -> Int64 {
        try backend.latestRecordID()
    }

    /// The networks with a history row after `from` and up to `to` (what changed between two
    /// serials), in zone order; nil when there are more than `limit`.
    public func changedNetworks(after from: Int64, through to: Int64, limit: Int) throws -> [IPNetwork]? {
        try backend.changedNetworks(after: from, through: to, limit: limit)
    }

    /// A read at `time` for working out differences window by window.
    public func readWindows<T>(at time: Int64, _ body: (any WindowRead) throws -> T) throws -> T {
        try backend.readWindows(at: time, body)
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
