import Foundation
import PostgresNIO
import Primitives
import Synchronization

/// The registry in PostgreSQL: the same rows and answers as `SQLiteRegistry`, for a registry
/// whose hosts share one database. Writers take turns through a transaction-scoped advisory
/// lock, so that history ids are committed in increasing order (a reader that has seen id
/// N has seen every row up to N: the zone's serial and the live readers rely on it).
final class PostgresRegistry: RegistryBackend {
    let pool: PostgresPool
    private let listener = Mutex<ChangeListener?>(nil)

    /// The advisory lock held by every transaction that writes registry rows.
    static let writeLock: Int64 = 0x7265_6769_7374_7279  // "registry"
    /// The columns of `RegistrationRecord`, in the order `record(_:)` reads them.
    static let columns =
        "id, network, family, net_high, net_low, prefix_length, registrant, status, abuse_contact, valid_from, recorded_at, cause, source, case_id, provisional"
    /// Zone order: family, then the address unsigned (the words are signed bigints), then
    /// the prefix length; a network's rows by time.
    static let zoneOrder = "family, net_high < 0, net_high, net_low < 0, net_low, prefix_length, valid_from, id"

    init(pool: PostgresPool) throws {
        self.pool = pool
        var migrator = PostgresMigrator()
        PostgresRegistryMigrations.register(in: &migrator)
        try migrator.migrate(pool)
    }

    deinit {
        listener.withLock { $0?.stop() }
    }

    func importRows(_ rows: [RegistryCSV.Row], file: String, sha256: String, now: Int64) throws -> RegistryStore.ImportSummary {
        try pool.write { session in
            try session.query("SELECT pg_advisory_xact_lock($1)", [.int(Self.writeLock)])
            var delta = ImportDelta(capacity: rows.count)
            try session.forEachRow(
                """
                SELECT r.family, r.net_high, r.net_low, r.prefix_length, r.registrant, r.status, r.abuse_contact, r.valid_from
                FROM registration r JOIN (SELECT MAX(id) AS id FROM registration WHERE cause = 'import'
                                          GROUP BY family, net_high, net_low, prefix_length) m ON r.id = m.id
                """
            ) { row in
                let (family, high, low, prefix, registrant, status, contact, since) = try row.decode((Int, Int64, Int64, Int, String, String, String, Int64).self)
                delta.remember(
                    RegistrationRecord.network(family: family, high: high, low: low, prefix: prefix), .init(registrant: registrant, status: status, contact: contact, since: since))
            }
            let (changed, summary) = delta.changes(rows, file: file, sha256: sha256)
            var batch = ImportBatch()
            for row in changed {
                batch.append(row)
                if batch.count == 5_000 { try batch.insert(session, now: now, sha256: sha256) }
            }
            try batch.insert(session, now: now, sha256: sha256)
            try session.query(
                "INSERT INTO registry_import (file, sha256, imported_at, rows, changed) VALUES ($1, $2, $3, $4, $5)",
                [.text(file), .text(sha256), .int(now), .int(Int64(rows.count)), .int(Int64(summary.added + summary.changed))])
            return summary
        }
    }

    /// Import rows gathered column by column, written with one statement (`unnest`).
    private struct ImportBatch {
        var networks: [String] = [], families: [Int64] = [], highs: [Int64] = [], lows: [Int64] = [], prefixes: [Int64] = []
        var registrants: [String] = [], statuses: [String] = [], contacts: [String] = [], since: [Int64] = []
        var count: Int { networks.count }

        mutating func append(_ row: RegistryCSV.Row) {
            let key = RegistrationRecord.key(row.network)
            networks.append(row.network.description)
            families.append(Int64(key.family))
            highs.append(key.high)
            lows.append(key.low)
            prefixes.append(Int64(key.prefix))
            registrants.append(row.registrant)
            statuses.append(row.status.rawValue)
            contacts.append(row.abuseContact)
            since.append(row.since)
        }

        mutating func insert(_ session: PostgresSession, now: Int64, sha256: String) throws {
            guard count > 0 else { return }
            try session.query(
                """
                INSERT INTO registration (network, family, net_high, net_low, prefix_length, registrant, status, abuse_contact,
                                          valid_from, recorded_at, cause, source, case_id, provisional)
                SELECT n, f, h, l, p, r, s, c, v, $10, 'import', $11, NULL, false
                FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::bigint[])
                    WITH ORDINALITY AS t(n, f, h, l, p, r, s, c, v, i)
                ORDER BY i
                """,
                [
                    .texts(networks), .ints(families), .ints(highs), .ints(lows), .ints(prefixes), .texts(registrants), .texts(statuses),
                    .texts(contacts), .ints(since), .int(now), .text(sha256),
                ])
            self = ImportBatch()
        }
    }

    /// A condition (from `$first`) matching every network that could contain `ip`, one per
    /// prefix length, and its values.
    private static func containing(_ ip: IPAddress, from first: Int) -> (sql: String, values: [PostgresValue]) {
        let bits = ip.family == .v4 ? 32 : 128
        var highs: [Int64] = [], lows: [Int64] = [], lengths: [Int64] = []
        for length in 0...bits {
            let key = RegistrationRecord.key(IPNetwork(uncheckedAddress: ip, prefixLength: length))
            highs.append(key.high)
            lows.append(key.low)
            lengths.append(Int64(length))
        }
        return (
            "family = $\(first) AND (net_high, net_low, prefix_length) IN (SELECT * FROM unnest($\(first + 1)::bigint[], $\(first + 2)::bigint[], $\(first + 3)::bigint[]))",
            [.int(ip.family == .v4 ? 4 : 6), .ints(highs), .ints(lows), .ints(lengths)]
        )
    }

    func record(for ip: IPAddress, at time: Int64) throws -> RegistrationRecord? {
        try pool.read { session in try Self.record(session, ip, time) }
    }

    static func record(_ session: PostgresSession, _ ip: IPAddress, _ time: Int64) throws -> RegistrationRecord? {
        let (condition, values) = containing(ip, from: 2)
        return try session.query(
            "SELECT \(columns) FROM registration WHERE valid_from <= $1 AND \(condition) ORDER BY prefix_length DESC, valid_from DESC, id DESC LIMIT 1",
            [.int(time)] + values
        ).first.map(record)
    }

    func history(of ip: IPAddress) throws -> [RegistrationRecord] {
        try pool.read { session in
            let (condition, values) = Self.containing(ip, from: 1)
            return try session.query("SELECT \(Self.columns) FROM registration WHERE \(condition) ORDER BY valid_from, id", values).map(Self.record)
        }
    }

    func recordChange(
        of ip: IPAddress, to status: RegistrationStatus, at time: Int64, cause: String, source: String, caseID: String?, provisional: Bool
    ) throws -> RegistrationRecord {
        try pool.write { session in
            try RegistryStore.recordChange(
                PostgresSQLSession(session), of: ip, to: status, at: time, cause: cause, source: source, caseID: caseID, provisional: provisional)
        }
    }

    func loadIndex() throws -> RegistrationIndex {
        try pool.read { session in
            var rows: [IndexRow] = []
            rows.reserveCapacity(try session.scalar(Int.self, "SELECT COUNT(*) FROM registration") ?? 0)
            // In the index's order, which the server reads without sorting (sorting 1 M rows
            // unsigned took it 3.6 s against 0.7 s).
            try session.forEachRow(
                "SELECT family, net_high, net_low, prefix_length, status, registrant, case_id, valid_from FROM registration ORDER BY family, net_high, net_low, prefix_length, valid_from, id"
            ) { row in
                let (family, high, low, prefix, status, registrant, caseID, validFrom) = try row.decode((Int, Int64, Int64, Int, String, String, String?, Int64).self)
                rows.append(
                    IndexRow(
                        network: RegistrationRecord.network(family: family, high: high, low: low, prefix: prefix), status: RegistrationStatus(rawValue: status) ?? .unknown,
                        registrant: registrant, caseID: caseID, validFrom: validFrom))
            }
            return RegistrationIndex(signedOrderRows: rows)
        }
    }

    func readCurrentRecords<T>(at time: Int64, through recordIDs: [Int64], _ body: ([RegistryStore.CurrentRecords]) throws -> T) throws -> T {
        try pool.read { session in
            let cursors = try recordIDs.map { recordID in
                try Self.records(
                    session, "SELECT \(Self.columns) FROM registration WHERE valid_from <= $1 AND id <= $2 ORDER BY \(Self.zoneOrder)",
                    [.int(time), .int(recordID)])
            }
            return try body(cursors)
        }
    }

    /// Current records over a server-side cursor on `sql`, fetched in batches.
    static func records(_ session: PostgresSession, _ sql: String, _ values: [PostgresValue]) throws -> RegistryStore.CurrentRecords {
        let cursor = try session.declareCursor(sql, values)
        var buffer: [PostgresRow] = []
        var index = 0
        var done = false
        return RegistryStore.CurrentRecords {
            if index == buffer.count {
                if done { return nil }
                buffer = try session.fetch(cursor, 2_000)
                index = 0
                done = buffer.count < 2_000
                if buffer.isEmpty { return nil }
            }
            index += 1
            return try record(buffer[index - 1])
        }
    }

    func historyMark() throws -> String? {
        // NULL while the history is empty.
        try pool.read { session in try session.scalar(String?.self, RegistryStore.historyMarkSQL) ?? nil }
    }

    func latestRecordID() throws -> Int64 {
        try pool.read { session in try session.scalar(Int64.self, "SELECT COALESCE(MAX(id), 0) FROM registration") ?? 0 }
    }

    func histories(changedAfter lastID: Int64, limit: Int) throws -> (networks: [IPNetwork: [RegistrationRecord]], maxID: Int64)? {
        try pool.read { session in
            let maxID = try session.scalar(Int64.self, "SELECT COALESCE(MAX(id), 0) FROM registration WHERE id > $1", [.int(lastID)]) ?? 0
            guard maxID > lastID else { return nil }
            let changed = try session.query(
                "SELECT DISTINCT family, net_high, net_low, prefix_length FROM registration WHERE id > $1 AND id <= $2 LIMIT $3",
                [.int(lastID), .int(maxID), .int(Int64(limit + 1))])
            var networks: [IPNetwork: [RegistrationRecord]] = [:]
            for row in changed {
                let (family, high, low, prefix) = try row.decode((Int, Int64, Int64, Int).self)
                networks[RegistrationRecord.network(family: family, high: high, low: low, prefix: prefix)] = try session.query(
                    """
                    SELECT \(Self.columns) FROM registration WHERE family = $1 AND net_high = $2 AND net_low = $3 AND prefix_length = $4 AND id <= $5
                    ORDER BY valid_from, id
                    """, [.int(Int64(family)), .int(high), .int(low), .int(Int64(prefix)), .int(maxID)]
                ).map(Self.record)
            }
            return (networks, maxID)
        }
    }

    /// The number of change notifications heard (LISTEN on the registry's channel, on a
    /// connection of its own); nil until listening works, or when the connection was lost.
    func changeMarker() -> [Int]? {
        listener.withLock { current in
            if let live = current, live.isListening { return [live.heard] }
            current?.stop()
            current = try? ChangeListener(pool: pool, channel: PostgresRegistryMigrations.channel)
            return nil
        }
    }

    /// A `RegistrationRecord` from a row of `columns`.
    static func record(_ row: PostgresRow) throws -> RegistrationRecord {
        let (id, network, family, high, low, prefix, registrant, status, contact, validFrom, recordedAt, cause, source, caseID, provisional) =
            try row.decode((Int64, String, Int, Int64, Int64, Int, String, String, String, Int64, Int64, String, String, String?, Bool).self)
        return RegistrationRecord(
            id: id, network: network, family: family, netHigh: high, netLow: low, prefixLength: prefix, registrant: registrant, status: status,
            abuseContact: contact, validFrom: validFrom, recordedAt: recordedAt, cause: cause, source: source, caseID: caseID, provisional: provisional)
    }
}
