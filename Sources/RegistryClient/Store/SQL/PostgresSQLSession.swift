import Foundation
import NIOCore
import PostgresNIO

/// A `SQLSession` on a PostgreSQL connection, inside one of its transactions: `?` and
/// `?N` placeholders become `$N`; `forEachRow` streams through a server-side cursor,
/// `query` takes a small result at once.
package struct PostgresSQLSession: SQLSession {
    package let session: PostgresSession

    package init(_ session: PostgresSession) {
        self.session = session
    }

    package var dialect: SQLDialect { .postgres }

    package func execute(_ sql: String, _ values: [SQLValue]) throws {
        try session.query(Self.numbered(sql), values.map(Self.value))
    }

    package func forEachRow(_ sql: String, _ values: [SQLValue], _ body: (any SQLRow) throws -> Void) throws {
        let statement = Self.numbered(sql)
        try session.forEachRow(statement, values.map(Self.value), batch: 2_000) { row in try body(Cells(row: PostgresRandomAccessRow(row), statement: statement)) }
    }

    package func query(_ sql: String, _ values: [SQLValue], _ body: (any SQLRow) throws -> Void) throws {
        let statement = Self.numbered(sql)
        for row in try session.query(statement, values.map(Self.value)) { try body(Cells(row: PostgresRandomAccessRow(row), statement: statement)) }
    }

    static func value(_ value: SQLValue) -> PostgresValue {
        switch value {
        case .null: .null
        case .integer(let v): .int(v)
        case .real(let v): .double(v)
        case .text(let v): .text(v)
        case .blob(let v): .bytes(v)
        case .boolean(let v): .bool(v)
        }
    }

    /// `sql` with its placeholders numbered for PostgreSQL: `?` takes the next number and
    /// `?N` keeps N. Quoted text and names are left alone.
    package static func numbered(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 8)
        var next = 0
        var quote: Character?
        var chars = sql.makeIterator()
        var pending: Character? = chars.next()
        while let c = pending {
            pending = chars.next()
            if let open = quote {
                out.append(c)
                if c == open { quote = nil }
                continue
            }
            if c == "'" || c == "\"" {
                quote = c
                out.append(c)
                continue
            }
            guard c == "?" else {
                out.append(c)
                continue
            }
            var digits = ""
            while let d = pending, d.isASCII, d.isNumber {
                digits.append(d)
                pending = chars.next()
            }
            if digits.isEmpty {
                next += 1
                out += "$\(next)"
            } else {
                out += "$\(digits)"
            }
        }
        return out
    }

    /// A PostgreSQL row, decoded by column.
    struct Cells: SQLRow {
        let row: PostgresRandomAccessRow
        let statement: String

        private func cell(_ column: Int) -> PostgresCell { row[column] }

        private func decode<T: PostgresDecodable>(_ type: T.Type, _ column: Int, _ expected: String) throws -> T? {
            let cell = cell(column)
            guard cell.bytes != nil else { return nil }
            do {
                return try cell.decode(T.self)
            } catch {
                throw SQLColumnError(column: column, expected: expected, statement: PostgresSession.firstLine(statement))
            }
        }

        func integer(_ column: Int) throws -> Int64? {
            let cell = cell(column)
            if cell.dataType == .bool, cell.bytes != nil { return try cell.decode(Bool.self) ? 1 : 0 }
            return try decode(Int64.self, column, "integer")
        }

        func real(_ column: Int) throws -> Double? { try decode(Double.self, column, "real") }

        func text(_ column: Int) throws -> String? { try decode(String.self, column, "text") }

        func withBlob<R>(_ column: Int, _ body: (UnsafeRawBufferPointer?) throws -> R) throws -> R {
            guard let buffer = cell(column).bytes else { return try body(nil) }
            return try buffer.withUnsafeReadableBytes { try body($0) }
        }
    }
}
