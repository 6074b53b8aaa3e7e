import PostgresNIO
import Primitives

/// Reading the registry for a zone's differences between two serials, window by window, in
/// one PostgreSQL read transaction (the same questions as `SQLiteRegistry.WindowRead`).
extension PostgresRegistry {
    func changedNetworks(after from: Int64, through to: Int64, limit: Int) throws -> [IPNetwork]? {
        try pool.read { session in
            let rows = try session.query(
                """
                SELECT family, net_high, net_low, prefix_length
                FROM (SELECT DISTINCT family, net_high, net_low, prefix_length FROM registration WHERE id > $1 AND id <= $2) changed
                ORDER BY family, net_high < 0, net_high, net_low < 0, net_low, prefix_length LIMIT $3
                """, [.int(from), .int(to), .int(Int64(limit + 1))])
            guard rows.count <= limit else { return nil }
            return try rows.map { row in
                let (family, high, low, prefix) = try row.decode((Int, Int64, Int64, Int).self)
                return RegistrationRecord.network(family: family, high: high, low: low, prefix: prefix)
            }
        }
    }

    func readWindows<T>(at time: Int64, _ body: (any RegistryStore.WindowRead) throws -> T) throws -> T {
        try pool.read { session in try body(WindowRead(session: session, time: time)) }
    }

    final class WindowRead: RegistryStore.WindowRead {
        let session: PostgresSession
        let time: Int64
        /// The answers of `record(of:through:)` so far: the merge asks about the same
        /// networks again and again (the wildcards above each window), each a round trip.
        private var known: [NetworkAt: RegistrationRecord?] = [:]

        private struct NetworkAt: Hashable {
            var network: IPNetwork
            var recordID: Int64
        }

        init(session: PostgresSession, time: Int64) {
            self.session = session
            self.time = time
        }

        func records(around window: IPNetwork, through recordID: Int64) throws -> RegistryStore.CurrentRecords {
            let (inside, insideValues) = PostgresRegistry.range(of: window, from: 4)
            var values: [PostgresValue] = [.int(time), .int(recordID), .int(Int64(window.prefixLength))] + insideValues
            var covering = ""
            if window.prefixLength > 0 {
                var highs: [Int64] = [], lows: [Int64] = [], lengths: [Int64] = []
                for length in 0..<window.prefixLength {
                    let key = RegistrationRecord.key(IPNetwork(uncheckedAddress: window.address, prefixLength: length))
                    highs.append(key.high)
                    lows.append(key.low)
                    lengths.append(Int64(length))
                }
                let first = values.count + 1
                covering = """
                     UNION ALL SELECT \(PostgresRegistry.columns) FROM registration WHERE valid_from <= $1 AND id <= $2 AND family = $\(first)
                        AND (net_high, net_low, prefix_length) IN (SELECT * FROM unnest($\(first + 1)::bigint[], $\(first + 2)::bigint[], $\(first + 3)::bigint[]))
                    """
                values += [.int(window.address.family == .v4 ? 4 : 6), .ints(highs), .ints(lows), .ints(lengths)]
            }
            return try PostgresRegistry.records(
                session,
                """
                SELECT * FROM (SELECT \(PostgresRegistry.columns) FROM registration WHERE valid_from <= $1 AND id <= $2 AND \(inside) AND prefix_length >= $3\(covering)) around
                ORDER BY \(PostgresRegistry.zoneOrder)
                """, values)
        }

        func record(of network: IPNetwork, through recordID: Int64) throws -> RegistrationRecord? {
            if let answer = known[NetworkAt(network: network, recordID: recordID)] { return answer }
            let key = RegistrationRecord.key(network)
            let answer = try session.query(
                """
                SELECT \(PostgresRegistry.columns) FROM registration
                WHERE family = $1 AND net_high = $2 AND net_low = $3 AND prefix_length = $4 AND valid_from <= $5 AND id <= $6
                ORDER BY valid_from DESC, id DESC LIMIT 1
                """, [.int(Int64(key.family)), .int(key.high), .int(key.low), .int(Int64(key.prefix)), .int(time), .int(recordID)]
            ).first.map(PostgresRegistry.record)
            known[NetworkAt(network: network, recordID: recordID)] = answer
            return answer
        }

        func hasAnsweringNetwork(inside prefix: IPNetwork, through recordID: Int64) throws -> Bool {
            let (inside, values) = PostgresRegistry.range(of: prefix, from: 4)
            // In the index's order: the last row of each network's run is the one in force;
            // the first network answering ends the search.
            let cursor = try session.declareCursor(
                """
                SELECT net_high, net_low, prefix_length, status FROM registration
                WHERE \(inside) AND prefix_length > $1 AND valid_from <= $2 AND id <= $3
                ORDER BY family, net_high, net_low, prefix_length, valid_from, id
                """, [.int(Int64(prefix.prefixLength)), .int(time), .int(recordID)] + values)
            defer { try? session.closeCursor(cursor) }
            var current: (network: (Int64, Int64, Int), status: String)?
            while true {
                let rows = try session.fetch(cursor, 500)
                for row in rows {
                    let (high, low, length, status) = try row.decode((Int64, Int64, Int, String).self)
                    if let done = current, done.network != (high, low, length), RegistrationStatus(rawValue: done.status)?.dnsAnswer != nil { return true }
                    current = ((high, low, length), status)
                }
                if rows.count < 500 { break }
            }
            return current.map { RegistrationStatus(rawValue: $0.status)?.dnsAnswer != nil } ?? false
        }
    }

    /// A condition (its values from `$first`) matching the networks whose address lies in
    /// `prefix` (not an IPv6 /0: the words are signed, and a prefix of one bit or more keeps
    /// each compared word on one side of zero).
    static func range(of prefix: IPNetwork, from first: Int) -> (sql: String, values: [PostgresValue]) {
        let low = prefix.address
        let high = prefix.lastAddress
        if low.family == .v4 {
            return ("family = 4 AND net_high = 0 AND net_low BETWEEN $\(first) AND $\(first + 1)", [.int(Int64(low.v4Value)), .int(Int64(high.v4Value))])
        }
        if prefix.prefixLength <= 64 {
            return (
                "family = 6 AND net_high BETWEEN $\(first) AND $\(first + 1)", [.int(Int64(bitPattern: low.high)), .int(Int64(bitPattern: high.high))]
            )
        }
        return (
            "family = 6 AND net_high = $\(first) AND net_low BETWEEN $\(first + 1) AND $\(first + 2)",
            [.int(Int64(bitPattern: low.high)), .int(Int64(bitPattern: low.low)), .int(Int64(bitPattern: high.low))]
        )
    }
}
