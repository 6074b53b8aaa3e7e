import GRDB
import Primitives

/// Reading the registry for the zone's differences between two serials, window by window.
extension SQLiteRegistry {
    /// The networks with a history row after `from` and up to `to` (what changed between two
    /// serials), in zone order; nil when there are more than `limit`.
    func changedNetworks(after from: Int64, through to: Int64, limit: Int) throws -> [IPNetwork]? {
        try database.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT family, net_high, net_low, prefix_length FROM registration WHERE id > ? AND id <= ?
                    ORDER BY family, net_high < 0, net_high, net_low < 0, net_low, prefix_length LIMIT ?
                    """,
                arguments: [from, to, limit + 1])
            guard rows.count <= limit else { return nil }
            return rows.map { RegistrationRecord.network(family: $0[0], high: $0[1], low: $0[2], prefix: $0[3]) }
        }
    }

    /// A read of the registry at several serials around one part of the address space, in
    /// one SQLite read transaction.
    final class WindowRead: RegistryStore.WindowRead {
        let db: Database
        let time: Int64

        init(db: Database, time: Int64) {
            self.db = db
            self.time = time
        }

        /// The rows in force at `recordID` of the networks inside `window` or covering it, in
        /// zone order. `window` must not be a /0.
        func records(around window: IPNetwork, through recordID: Int64) throws -> RegistryStore.CurrentRecords {
            // Two index-friendly parts (a range, and the covering networks one by one), sorted
            // together: an OR of them made SQLite read the whole table.
            let (inside, insideArguments) = SQLiteRegistry.range(of: window)
            var arguments: StatementArguments = [time, recordID]
            arguments += insideArguments
            arguments += [window.prefixLength]
            var covering = ""
            if window.prefixLength > 0 {
                // Each covering network by its index key (an IN list of row values was read
                // with only the family from the index).
                let each = Array(repeating: "(family = ? AND net_high = ? AND net_low = ? AND prefix_length = ?)", count: window.prefixLength)
                covering = " UNION ALL SELECT * FROM registration WHERE valid_from <= ? AND id <= ? AND (" + each.joined(separator: " OR ") + ")"
                arguments += [time, recordID]
                for length in 0..<window.prefixLength {
                    let key = RegistrationRecord.key(IPNetwork(uncheckedAddress: window.address, prefixLength: length))
                    arguments += [key.family, key.high, key.low, key.prefix]
                }
            }
            return RegistryStore.CurrentRecords(
                cursor: try RegistrationRecord.fetchCursor(
                    db,
                    sql: """
                        SELECT * FROM (SELECT * FROM registration WHERE valid_from <= ? AND id <= ? AND \(inside) AND prefix_length >= ?\(covering))
                        ORDER BY family, net_high < 0, net_high, net_low < 0, net_low, prefix_length, valid_from, id
                        """,
                    arguments: arguments))
        }

        /// The row in force at `recordID` of exactly `network`, if it has one.
        func record(of network: IPNetwork, through recordID: Int64) throws -> RegistrationRecord? {
            let key = RegistrationRecord.key(network)
            return try RegistrationRecord.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT * FROM registration
                        WHERE family = ? AND net_high = ? AND net_low = ? AND prefix_length = ? AND valid_from <= ? AND id <= ?
                        ORDER BY valid_from DESC, id DESC LIMIT 1
                        """),
                arguments: [key.family, key.high, key.low, key.prefix, time, recordID])
        }

        /// Whether a network strictly inside `prefix` (a longer one) is in force at
        /// `recordID` with a status that answers.
        func hasAnsweringNetwork(inside prefix: IPNetwork, through recordID: Int64) throws -> Bool {
            let (inside, insideArguments) = SQLiteRegistry.range(of: prefix)
            var arguments = insideArguments
            arguments += [prefix.prefixLength, time, recordID]
            // In the index's order (no sort before the first row): the last row of each
            // network's run is the one in force; the first network answering ends the search.
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT net_high, net_low, prefix_length, status FROM registration
                    WHERE \(inside) AND prefix_length > ? AND valid_from <= ? AND id <= ?
                    ORDER BY family, net_high, net_low, prefix_length, valid_from, id
                    """,
                arguments: arguments)
            var current: (network: (Int64, Int64, Int), status: String)?
            while let row = try cursor.next() {
                let network: (Int64, Int64, Int) = (row[0], row[1], row[2])
                if let done = current, done.network != network, RegistrationStatus(rawValue: done.status)?.dnsAnswer != nil { return true }
                current = (network, row[3])
            }
            return current.map { RegistrationStatus(rawValue: $0.status)?.dnsAnswer != nil } ?? false
        }
    }

    func readWindows<T>(at time: Int64, _ body: (any RegistryStore.WindowRead) throws -> T) throws -> T {
        try database.read { db in try body(WindowRead(db: db, time: time)) }
    }

    /// A SQL condition matching the networks whose address lies in `prefix` (not a /0 for
    /// IPv6: the words are signed in SQLite, and a prefix of one bit or more keeps each
    /// compared word on one side of zero).
    static func range(of prefix: IPNetwork) -> (sql: String, arguments: StatementArguments) {
        let first = prefix.address
        let last = prefix.lastAddress
        if first.family == .v4 {
            return ("family = 4 AND net_high = 0 AND net_low BETWEEN ? AND ?", [Int64(first.v4Value), Int64(last.v4Value)])
        }
        if prefix.prefixLength <= 64 {
            return ("family = 6 AND net_high BETWEEN ? AND ?", [Int64(bitPattern: first.high), Int64(bitPattern: last.high)])
        }
        return ("family = 6 AND net_high = ? AND net_low BETWEEN ? AND ?", [Int64(bitPattern: first.high), Int64(bitPattern: first.low), Int64(bitPattern: last.low)])
    }
}
