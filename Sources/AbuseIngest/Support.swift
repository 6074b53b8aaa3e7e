import EnforcementEngine
import Foundation
import GRDB
import Primitives
import RegistryClient

/// The wall clock, read only here at the edge (the libraries take times as arguments).
enum Clock {
    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// Compact, key-sorted JSON for machine-readable output.
enum JSONText {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        try CanonicalJSON.string(value)
    }
}

extension GlobalOptions {
    /// Opens the database named by `--db`, reporting failures the FORMATS.md way.
    func openDatabase() throws -> DatabasePool {
        do {
            return try DatabaseConnection.open(path: db)
        } catch {
            Terminal.reportError(error.description)
            throw ExitStatus.failure
        }
    }

    func registryStore() throws -> RegistryStore {
        let pool = try openDatabase()
        do {
            return try RegistryStore(database: pool)
        } catch {
            Terminal.reportError("cannot prepare the registry tables in \(db): \(error)")
            throw ExitStatus.failure
        }
    }

    func engineStore() throws -> EngineStore {
        let pool = try openDatabase()
        do {
            return try EngineStore(database: pool)
        } catch {
            Terminal.reportError("cannot prepare the tables in \(db): \(error)")
            throw ExitStatus.failure
        }
    }

    /// The data folder: the folder that holds the database.
    var dataFolder: URL { DatabaseConnection.dataFolder(forDatabase: db) }
}
