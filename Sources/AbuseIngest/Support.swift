import ArgumentParser
import EnforcementEngine
import Evidence
import Foundation
import Logging
import Primitives
import RegistryClient

/// Compact, key-sorted JSON for machine-readable output.
enum JSONText {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        try CanonicalJSON.string(value)
    }
}

extension GlobalOptions {
    /// The store on the database named by `--db` (opened, its tables migrated).
    func engineStore() throws -> EngineStore {
        try EngineStore(location: db)
    }

    /// The registry at `--db`: the SQLite file, or the PostgreSQL database.
    func registryStore() throws -> RegistryStore {
        try RegistryStore(location: db)
    }

    /// Whether `--db` names a database that exists (a PostgreSQL one is taken to).
    var databaseExists: Bool { PostgresLocation.isLocation(db) || FileManager.default.fileExists(atPath: db) }

    /// The engine's operations on this data folder, on the system clock.
    func enforcement() throws -> Enforcement {
        Enforcement(store: try engineStore(), dataFolder: dataFolder, clock: .system, logger: Logger(label: "abuse-ingest"))
    }

    /// The data folder: `--data-dir`, else the folder that holds the SQLite database, else
    /// (PostgreSQL) the current folder.
    var dataFolder: URL { Self.dataFolder(db: db, dataDir: dataDir) }

    /// The data folder: `dataDir` when given, else the SQLite database's folder, else `.`.
    static func dataFolder(db: String, dataDir: String?) -> URL {
        if let dataDir { return URL(fileURLWithPath: dataDir, isDirectory: true) }
        if PostgresLocation.isLocation(db) { return URL(fileURLWithPath: ".", isDirectory: true) }
        return URL(fileURLWithPath: db).deletingLastPathComponent()
    }
}

/// How errors that reach the command line are told and what they exit with (FORMATS.md
/// §1): usage and configuration errors 2, everything else 1.
enum Failure {
    static func exitCode(for error: any Error) -> ExitCode {
        switch error {
        case is RuleLoadFailure, is CaseDecision.Refusal: ExitStatus.usage
        case let error as RegistryImportError: if case .invalid = error { ExitStatus.usage } else { ExitStatus.failure }
        case let error as PostgresError: if case .badLocation = error { ExitStatus.usage } else { ExitStatus.failure }
        case let error as EngineError where error.isUsage: ExitStatus.usage
        case let error as EngineStore.CaseError: if case .noSuchCase = error { ExitStatus.usage } else { ExitStatus.failure }
        case let error as EvidenceExporter.ExportError: if case .noSuchCase = error { ExitStatus.usage } else { ExitStatus.failure }
        default: ExitStatus.failure
        }
    }

    /// `abuse-ingest: error: <what>` for each problem the error carries.
    static func report(_ error: any Error) {
        switch error {
        case let failure as RuleLoadFailure:
            for problem in failure.errors { Terminal.reportError(problem.description) }
            if case .invalid(let folder, let errors) = failure {
                Terminal.error("abuse-ingest: \(errors.count) error(s) in \(folder); no rule of it is loaded")
            } else {
                Terminal.reportError(failure.description)
            }
        case RegistryImportError.invalid(let file, let problems):
            for problem in problems { Terminal.reportError("\(problem.message) (\(file):\(problem.line))") }
            Terminal.error("abuse-ingest: \(problems.count) bad row(s); nothing was imported")
        default:
            Terminal.reportError("\(error)")
        }
    }
}
