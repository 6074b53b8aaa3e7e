import Foundation
import GRDB

/// A store's database, the SQLite file or a PostgreSQL database, for code written once for
/// both (`SQLSession`). Each call is one transaction: committed when `body` returns, rolled
/// back when it throws.
package enum SQLDatabase: Sendable {
    case sqlite(DatabasePool)
    case postgres(PostgresPool)

    /// A read that sees one state of the database throughout. On PostgreSQL, a read the
    /// server could not finish (a restart, a failover) is run again once it answers.
    package func read<T>(_ body: (any SQLSession) throws -> T) throws -> T {
        switch self {
        case .sqlite(let pool): try pool.read { db in try body(SQLiteSQLSession(db)) }
        case .postgres(let pool): try Self.retrying { _ in try pool.read { session in try body(PostgresSQLSession(session)) } }
        }
    }

    /// A write transaction.
    package func write<T>(_ body: (any SQLSession) throws -> T) throws -> T {
        switch self {
        case .sqlite(let pool): try pool.write { db in try body(SQLiteSQLSession(db)) }
        case .postgres(let pool): try pool.write { session in try body(PostgresSQLSession(session)) }
        }
    }

    /// A write transaction run again when PostgreSQL could not finish it: at once after a
    /// deadlock or a serialization failure (SQLSTATE 40P01, 40001), and with a growing pause
    /// (0.25 s doubling, about 30 s in all) while the server cannot be reached (a restart,
    /// a failover). For bodies that do nothing outside the database; `body` learns with
    /// `retried` that an earlier attempt may have committed (its connection was lost at
    /// COMMIT) and must recognise its own work. The last error is thrown.
    package func writeRetrying<T>(_ body: (_ db: any SQLSession, _ retried: Bool) throws -> T) throws -> T {
        try Self.retrying { attempt in try write { db in try body(db, attempt > 0) } }
    }

    /// Runs `work` (given its attempt, from 0) until it does not fail for a reason that
    /// passes: a deadlock or serialization failure (two more attempts at once), or a server
    /// that cannot be reached (a pause of 0.25 s doubling, about 30 s in all; a pool exists
    /// only once its server answered, so this is a restart or a failover).
    private static func retrying<T>(_ work: (_ attempt: Int) throws -> T) throws -> T {
        var attempt = 0
        var pause = 0.25
        while true {
            do {
                return try work(attempt)
            } catch let error as PostgresError {
                attempt += 1
                switch error {
                case .statementFailed where error.isRetryable && attempt < 3:
                    continue
                case .connectionLost, .cannotConnect:
                    guard pause < 20 else { throw error }
                    Thread.sleep(forTimeInterval: pause)
                    pause *= 2
                default:
                    throw error
                }
            }
        }
    }
}
