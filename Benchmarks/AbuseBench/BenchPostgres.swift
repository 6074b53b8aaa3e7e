import Foundation
import RegistryClient

/// A database of the bench's own on a PostgreSQL server: dropped and made again empty.
enum BenchPostgres {
    /// The `--db` of a new empty database `name` on the server of `url`.
    static func fresh(_ url: String, name: String) throws -> String {
        let admin = try PostgresLocation(url)
        var target = admin
        target.database = name
        try PostgresPool(admin, connections: 1).borrow { session in
            try session.script("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", "CREATE DATABASE \(name)")
        }
        return target.description
    }
}
