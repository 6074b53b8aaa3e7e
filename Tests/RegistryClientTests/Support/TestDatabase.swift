import Foundation
import GRDB
import Primitives
import RegistryClient
import TestSupport

/// A registry in a fresh SQLite file in a temporary folder, or in a fresh database of the
/// throwaway PostgreSQL cluster (`TestPostgres`).
struct TestRegistry {
    let folder: URL
    let store: RegistryStore
    let backend: Backend
    private let sqlite: DatabasePool?
    private let postgres: (database: TestPostgres, pool: PostgresPool)?

    init(_ backend: Backend = .sqlite) throws {
        self.backend = backend
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        switch backend {
        case .sqlite:
            let pool = try DatabaseConnection.open(path: folder.appendingPathComponent("test.db").path)
            sqlite = pool
            postgres = nil
            store = try RegistryStore(database: pool)
        case .postgres:
            let database = try TestPostgres()
            let pool = try PostgresPool(database.location)
            sqlite = nil
            postgres = (database, pool)
            store = try RegistryStore(postgres: pool)
        }
    }

    /// Runs SQL statements straight on the database, in one transaction (what a careless
    /// operator or an attacker with the credentials could do).
    func execute(_ sql: String) throws {
        if let sqlite {
            try sqlite.write { try $0.execute(sql: sql) }
        } else if let postgres {
            try postgres.pool.write { try $0.script(sql) }
        }
    }

    /// The database, for statements written once for both (`SQLSession`).
    var sqlDatabase: SQLDatabase { sqlite.map(SQLDatabase.sqlite) ?? .postgres(postgres!.pool) }

    /// The SQLite database (a registry made with `.sqlite`).
    var sqliteDatabase: DatabasePool { sqlite! }

    /// The `--db` value of this registry.
    var location: String { postgres?.database.url ?? folder.appendingPathComponent("test.db").path }

    /// Validates and imports CSV text.
    @discardableResult
    func importCSV(_ text: String, now: String = "2026-11-01T00:00:00Z") throws -> RegistryStore.ImportSummary {
        let csv = try RegistryCSV(bytes: Array(text.utf8))
        return try store.importRows(csv.rows, file: "test.csv", sha256: String(text.hashValue), now: ISOTime.parse(now)!)
    }

    func remove() {
        try? FileManager.default.removeItem(at: folder)
        postgres?.database.remove()
    }
}

func time(_ text: String) -> Int64 { ISOTime.parse(text)! }
func ip(_ text: String) -> IPAddress { IPAddress(text)! }

/// Runs a program and returns its standard output (and exit status).
func run(_ arguments: [String], timeout: TimeInterval = 20) throws -> (output: String, status: Int32) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    return (String(decoding: data, as: UTF8.self), process.terminationStatus)
}
