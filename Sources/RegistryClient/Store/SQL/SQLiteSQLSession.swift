import Foundation
import GRDB

/// A `SQLSession` on a GRDB database connection, inside one of its transactions; its
/// statements are prepared once per connection (GRDB's statement cache).
package struct SQLiteSQLSession: SQLSession {
    package let db: Database

    package init(_ db: Database) {
        self.db = db
    }

    package var dialect: SQLDialect { .sqlite }

    package func execute(_ sql: String, _ values: [SQLValue]) throws {
        try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(values))
    }

    package func forEachRow(_ sql: String, _ values: [SQLValue], _ body: (any SQLRow) throws -> Void) throws {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: Self.arguments(values))
        while let row = try rows.next() { try body(Cells(row: row)) }
    }

    package func query(_ sql: String, _ values: [SQLValue], _ body: (any SQLRow) throws -> Void) throws {
        try forEachRow(sql, values, body)
    }

    static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(
            values.map { value -> DatabaseValue in
                switch value {
                case .null: .null
                case .integer(let v): v.databaseValue
                case .real(let v): v.databaseValue
                case .text(let v): v.databaseValue
                case .blob(let v): Data(v).databaseValue
                case .boolean(let v): v.databaseValue
                }
            })
    }

    /// A GRDB row, valid while the cursor stands on it.
    struct Cells: SQLRow {
        let row: Row

        func integer(_ column: Int) throws -> Int64? {
            let value = row[column] as DatabaseValue
            if value.isNull { return nil }
            guard let int = Int64.fromDatabaseValue(value) else { throw SQLColumnError(column: column, expected: "integer", statement: "") }
            return int
        }

        func real(_ column: Int) throws -> Double? {
            let value = row[column] as DatabaseValue
            if value.isNull { return nil }
            guard let double = Double.fromDatabaseValue(value) else { throw SQLColumnError(column: column, expected: "real", statement: "") }
            return double
        }

        func text(_ column: Int) throws -> String? {
            let value = row[column] as DatabaseValue
            if value.isNull { return nil }
            guard let text = String.fromDatabaseValue(value) else { throw SQLColumnError(column: column, expected: "text", statement: "") }
            return text
        }

        func withBlob<R>(_ column: Int, _ body: (UnsafeRawBufferPointer?) throws -> R) throws -> R {
            try row.withUnsafeData(atIndex: column) { data in
                guard let data else { return try body(nil) }
                return try data.withUnsafeBytes { try body($0) }
            }
        }
    }
}
