import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A value bound to a statement's `$n`.
public enum PostgresValue: Sendable {
    case int(Int64)
    case double(Double)
    case text(String)
    case bytes([UInt8])
    case bool(Bool)
    case null
    /// Arrays, for `unnest($n::bigint[])`: many rows in one statement.
    case ints([Int64])
    case texts([String])
    case bools([Bool])

    public static func optional(_ text: String?) -> Self { text.map(Self.text) ?? .null }
}

/// One borrowed connection (valid inside the `PostgresPool` call that gave it): statements
/// with bound values, and cursors that stream a large result in batches.
public final class PostgresSession {
    let connection: PostgresConnection
    let location: PostgresLocation
    let logger: Logger
    /// Set when the connection failed mid-use: it goes back closed, not to the pool.
    private(set) var broken = false
    private var cursors = 0

    init(connection: PostgresConnection, location: PostgresLocation, logger: Logger) {
        self.connection = connection
        self.location = location
        self.logger = logger
    }

    /// Runs one statement and returns its rows (all in memory: for small results).
    @discardableResult
    public func query(_ sql: String, _ values: [PostgresValue] = []) throws(PostgresError) -> [PostgresRow] {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .int(let v): bindings.append(v)
            case .double(let v): bindings.append(v)
            case .text(let v): bindings.append(v)
            case .bytes(let v): bindings.append(ByteBuffer(bytes: v))
            case .bool(let v): bindings.append(v)
            case .null: bindings.appendNull()
            case .ints(let v): bindings.append(v)
            case .texts(let v): bindings.append(v)
            case .bools(let v): bindings.append(v)
            }
        }
        return try run(sql) { try connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).wait().rows }
    }

    /// Runs statements one after the other, without bound values.
    public func script(_ statements: String...) throws(PostgresError) {
        for statement in statements { try query(statement) }
    }

    /// The first column of the first row (not NULL), or nil when there is no row.
    public func scalar<T: PostgresDecodable>(_ type: T.Type, _ sql: String, _ values: [PostgresValue] = []) throws(PostgresError) -> T? {
        guard let row = try query(sql, values).first else { return nil }
        do {
            return try row.decode(T.self)
        } catch {
            throw .statementFailed(statement: Self.firstLine(sql), sqlState: nil, message: "cannot read its result: \(error)")
        }
    }

    /// Streams the rows of `sql` in batches of `batch` (a server-side cursor: memory stays flat
    /// however many rows). Must run inside a transaction (`PostgresPool.read` or `write`).
    public func forEachRow(_ sql: String, _ values: [PostgresValue] = [], batch: Int = 10_000, _ body: (PostgresRow) throws -> Void) throws {
        let cursor = try declareCursor(sql, values)
        defer { try? closeCursor(cursor) }
        while true {
            let rows = try fetch(cursor, batch)
            for row in rows { try body(row) }
            if rows.count < batch { return }
        }
    }

    /// Opens a server-side cursor over `sql` (inside the current transaction), for `fetch`.
    public func declareCursor(_ sql: String, _ values: [PostgresValue] = []) throws(PostgresError) -> String {
        cursors += 1
        let name = "abuse_cursor_\(cursors)"
        try query("DECLARE \(name) NO SCROLL CURSOR FOR \(sql)", values)
        return name
    }

    /// The cursor's next `count` rows (fewer at its end).
    public func fetch(_ cursor: String, _ count: Int) throws(PostgresError) -> [PostgresRow] {
        try query("FETCH FORWARD \(count) FROM \(cursor)")
    }

    public func closeCursor(_ cursor: String) throws(PostgresError) {
        try query("CLOSE \(cursor)")
    }

    /// `body` inside the transaction just begun, then COMMIT; ROLLBACK when `body` throws.
    func transaction<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        let result: T
        do {
            result = try body(self)
        } catch {
            if !broken { try? script("ROLLBACK") }
            throw error
        }
        try script("COMMIT")
        return result
    }

    private func run<T>(_ sql: String, _ work: () throws -> T) throws(PostgresError) -> T {
        do {
            return try work()
        } catch let error as PSQLError {
            // The server ending the session (a shutdown, class 57P) or a connection failure
            // it reports (class 08): the connection is gone, whatever the statement was.
            if let state = error.serverInfo?[.sqlState], state.hasPrefix("57P") || state.hasPrefix("08") {
                broken = true
                throw .connectionLost(location.description, error.serverInfo?[.message] ?? state)
            }
            if let info = error.serverInfo {
                throw .statementFailed(statement: Self.firstLine(sql), sqlState: info[.sqlState], message: info[.message] ?? "\(error.code)")
            }
            broken = true
            throw .connectionLost(location.description, Self.reason(error))
        } catch {
            broken = true
            throw .connectionLost(location.description, Self.reason(error))
        }
    }

    static func firstLine(_ sql: String) -> String {
        let line = sql.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return line.count > 120 ? String(line.prefix(120)) + "…" : line
    }

    /// The server's message for a failed connection, or the error itself.
    static func reason(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return "\(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }
}
