import Foundation
import GRDB

/// A store's database, the SQLite file or a PostgreSQL database, for code written once for
/// both (`SQLSession`). Each call is one transaction: committed when `body` returns, rolled
/// back when it throws.
package enum SQLDatabase: Sendable {
    case sqlite(DatabasePool)
    case postgres(PostgresPool)

    /// A read that sees one state of the database throughout.
    package func read<T>(_ body: (any SQLSession) throws -> T) throws -> T {
        switch self {
        case .sqlite(let pool): try pool.read { db in try body(SQLiteSQLSession(db)) }
        case .postgres(let pool): try pool.read { session in try body(PostgresSQLSession(session)) }
        }
    }

    /// A write transaction.
    package func write<T>(_ body: (any SQLSession) throws -> T) throws -> T {
        switch self {
        case .sqlite(let pool): try pool.write { db in try body(SQLiteSQLSession(db)) }
        case .postgres(let pool): try pool.write { session in try body(PostgresSQLSession(session)) }
        }
    }

    /// Whether this is PostgreSQL.
    package var isPostgres: Bool {
        if case .postgres = self { true } else { false }
    }
}
