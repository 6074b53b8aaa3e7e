import Foundation

/// One transaction on the store's database, SQLite or PostgreSQL, for code written once
/// for both: statements in the SQL the two share, with `?` (or `?N`) placeholders, which
/// the PostgreSQL session numbers as `$N`. A row is read in place, inside `body`.
package protocol SQLSession {
    /// Which database: for the few statements that differ (partition keys, say).
    var dialect: SQLDialect { get }
    /// Runs one statement that returns no rows.
    func execute(_ sql: String, _ values: [SQLValue]) throws
    /// Calls `body` with each row of the SELECT `sql`, streamed (memory stays flat).
    func forEachRow(_ sql: String, _ values: [SQLValue], _ body: (any SQLRow) throws -> Void) throws
    /// Calls `body` with each row of `sql` (a small result, held at once; any statement,
    /// `INSERT … RETURNING` too).
    func query(_ sql: String, _ values: [SQLValue], _ body: (any SQLRow) throws -> Void) throws
}

/// The two databases a store runs on.
package enum SQLDialect: Sendable {
    case sqlite, postgres
}

/// A row of a `SQLSession` result, read by column number.
package protocol SQLRow {
    func integer(_ column: Int) throws -> Int64?
    func real(_ column: Int) throws -> Double?
    func text(_ column: Int) throws -> String?
    /// The bytes of a blob (bytea) column, in place; nil when NULL.
    func withBlob<R>(_ column: Int, _ body: (UnsafeRawBufferPointer?) throws -> R) throws -> R
}

/// A column that is NULL or of another type where a value was required.
package struct SQLColumnError: Error, CustomStringConvertible {
    package var column: Int
    package var expected: String
    package var statement: String

    package init(column: Int, expected: String, statement: String) {
        self.column = column
        self.expected = expected
        self.statement = statement
    }

    package var description: String { "column \(column) of \"\(statement)\" is not a \(expected)" }
}

extension SQLSession {
    /// The rows of `sql`, each made by `make` (for small results).
    package func rows<T>(_ sql: String, _ values: [SQLValue] = [], _ make: (any SQLRow) throws -> T) throws -> [T] {
        var result: [T] = []
        try query(sql, values) { result.append(try make($0)) }
        return result
    }

    /// The first row of `sql` made by `make`, or nil when there is none.
    package func first<T>(_ sql: String, _ values: [SQLValue] = [], _ make: (any SQLRow) throws -> T) throws -> T? {
        var result: T?
        try query(sql, values) { row in
            if result == nil { result = try make(row) }
        }
        return result
    }

    /// The integer in the first column of the first row; nil when there is no row or it is NULL.
    package func integer(_ sql: String, _ values: [SQLValue] = []) throws -> Int64? {
        try first(sql, values) { try $0.integer(0) } ?? nil
    }

    /// Inserts `rows` (values in `columns` order) into `table`, many rows a statement: one
    /// round trip for hundreds of rows on PostgreSQL. Rows keep their order.
    package func insert(into table: String, columns: [String], rows: [[SQLValue]]) throws {
        let perStatement = max(1, min(500, 30_000 / max(1, columns.count)))
        let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + perStatement)]
            try execute(
                "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES " + Array(repeating: row, count: chunk.count).joined(separator: ", "),
                chunk.flatMap { $0 })
            start += chunk.count
        }
    }

    /// Whether `sql` returns a row.
    package func exists(_ sql: String, _ values: [SQLValue] = []) throws -> Bool {
        try first(sql, values) { _ in true } ?? false
    }
}

extension SQLRow {
    /// A column that must hold an integer.
    package func required(_ column: Int, _ statement: String = "") throws -> Int64 {
        guard let value = try integer(column) else { throw SQLColumnError(column: column, expected: "integer", statement: statement) }
        return value
    }

    /// A column that must hold text.
    package func requiredText(_ column: Int, _ statement: String = "") throws -> String {
        guard let value = try text(column) else { throw SQLColumnError(column: column, expected: "text", statement: statement) }
        return value
    }

    /// A blob column's bytes, copied.
    package func bytes(_ column: Int) throws -> [UInt8]? {
        try withBlob(column) { $0.map { Array($0) } }
    }
}
