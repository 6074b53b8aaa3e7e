import Foundation
import Primitives

/// The registry's part of another module's transaction, on either database: the engine
/// reads the registration of a case's subject and records the suspension in the same
/// transaction as the case (`SQLSession`).
extension RegistryStore {
    /// The prefix lengths registered for a family, longest first (a handful in practice).
    package static func prefixLengths(_ db: any SQLSession, family: IPAddress.Family) throws -> [Int] {
        try db.rows("SELECT DISTINCT prefix_length FROM registration WHERE family = ? ORDER BY prefix_length DESC", [.integer(family == .v4 ? 4 : 6)]) {
            Int(try $0.required(0))
        }
    }

    /// The history row in force for `ip` at `time`: one indexed point query per prefix
    /// length in use (`prefixLengths`, read when not given), longest first.
    package static func record(_ db: any SQLSession, _ ip: IPAddress, _ time: Int64, prefixLengths: [Int]? = nil) throws -> RegistrationRecord? {
        for length in try prefixLengths ?? Self.prefixLengths(db, family: ip.family) {
            let key = RegistrationRecord.key(IPNetwork(uncheckedAddress: ip, prefixLength: length))
            let found = try db.first(
                """
                SELECT \(RegistrationRecord.columns) FROM registration
                WHERE family = ? AND net_high = ? AND net_low = ? AND prefix_length = ? AND valid_from <= ?
                ORDER BY valid_from DESC, id DESC LIMIT 1
                """, [.integer(key.family), .integer(key.high), .integer(key.low), .integer(key.prefix), .integer(time)], RegistrationRecord.init(row:))
            if let found { return found }
        }
        return nil
    }

    /// A change of status of the registration in force for `ip` at `time`. On PostgreSQL the
    /// registry's write lock is taken first (held to the end of the caller's transaction),
    /// so that history ids commit in order, as IXFR and the live readers need.
    package static func recordChange(
        _ db: any SQLSession, of ip: IPAddress, to status: RegistrationStatus, at time: Int64, cause: String, source: String,
        caseID: String?, provisional: Bool
    ) throws -> RegistrationRecord {
        guard RegistrationStatus.recordable.contains(status) else { throw RegistryError.notRecordable(status) }
        if db.dialect == .postgres { try db.execute("SELECT pg_advisory_xact_lock(?)", [.integer(PostgresRegistry.writeLock)]) }
        guard let current = try record(db, ip, time) else { throw RegistryError.notRegistered(ip.description) }
        var next = current.change(to: status, at: time, cause: cause, source: source, caseID: caseID, provisional: provisional)
        next.id = try db.integer(
            """
            INSERT INTO registration (network, family, net_high, net_low, prefix_length, registrant, status, abuse_contact,
                                      valid_from, recorded_at, cause, source, case_id, provisional)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """,
            [
                .text(next.network), .integer(next.family), .integer(next.netHigh), .integer(next.netLow), .integer(next.prefixLength),
                .text(next.registrant), .text(next.status), .text(next.abuseContact), .integer(next.validFrom), .integer(next.recordedAt),
                .text(cause), .text(source), .optional(caseID), .boolean(provisional),
            ])
        return next
    }
}

extension RegistrationRecord {
    /// The columns `init(row:)` reads, in its order.
    package static let columns =
        "id, network, family, net_high, net_low, prefix_length, registrant, status, abuse_contact, valid_from, recorded_at, cause, source, case_id, provisional"

    /// Reads a row of `columns` (`provisional`: a boolean, or 0/1 in SQLite).
    package init(row: any SQLRow) throws {
        let statement = "SELECT … FROM registration"
        func int(_ column: Int) throws -> Int64 { try row.required(column, statement) }
        func text(_ column: Int) throws -> String { try row.requiredText(column, statement) }
        self.init(
            id: try int(0), network: try text(1), family: Int(try int(2)), netHigh: try int(3), netLow: try int(4), prefixLength: Int(try int(5)),
            registrant: try text(6), status: try text(7), abuseContact: try text(8), validFrom: try int(9), recordedAt: try int(10), cause: try text(11),
            source: try text(12), caseID: try row.text(13), provisional: try int(14) != 0)
    }
}
