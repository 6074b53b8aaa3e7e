import EnforcementEngine
import Evidence
import Foundation
import LogParsers
import Logging
import Primitives
import RegistryClient

/// The whole pipeline on the demo's world, through the library's operations as the service
/// and the commands use them: registry import, reporters, three nights of shipments
/// ingested, the rules evaluated, each case's bundle exported and verified. Deterministic:
/// the clock stands at the end of the last night.
public struct DemoRun {
    public struct Shipped: Sendable {
        public var reporter: DemoScenario.Reporter
        public var outcomes: [FileOutcome]
    }

    public struct Bundle: Sendable {
        public var caseID: String
        public var path: URL
        /// Empty when the bundle verified (hashes, signature, excerpts against the archive).
        public var problems: [String]
    }

    /// What a run did.
    public struct Report: Sendable {
        public var database: String
        public var registryFile: URL
        public var imported: RegistryStore.ImportSummary
        public var shipped: [Shipped]
        public var evaluation: Evaluation
        /// The cases the evaluation touched, in its order.
        public var cases: [EnforcementCase]
        public var bundles: [Bundle]
        public var publicKey: String
        public var attacker: RegistrationState
    }

    public let folder: URL
    public let logger: Logger
    private let location: String?

    /// A run in `folder`, on the SQLite file there or on the database at `location` (a
    /// `postgres://` URL).
    public init(folder: URL, database location: String? = nil, logger: Logger = Logger(label: "abuse-ingest.demo")) {
        self.folder = folder
        self.location = location
        self.logger = logger
    }

    /// The `--db` of the run's database.
    public var database: String { location ?? folder.appendingPathComponent("abuse-ingest.db").path }

    /// The data folder's engine, at the demo's time.
    public func enforcement() throws -> Enforcement {
        Enforcement(store: try EngineStore(location: database), dataFolder: folder, clock: .fixed(DemoScenario.evaluationTime), logger: logger)
    }

    /// Writes the registry and the shipments, imports and ingests them (a second time:
    /// every file a duplicate). Returns the engine and what was done.
    public func prepare() throws -> (enforcement: Enforcement, registryFile: URL, imported: RegistryStore.ImportSummary, shipped: [Shipped]) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let enforcement = try enforcement()
        let registryFile = folder.appendingPathComponent("registry.csv")
        try Data(DemoScenario.registryCSV.utf8).write(to: registryFile, options: .atomic)
        let imported = try enforcement.store.registry.importFile(registryFile.path, now: DemoScenario.evaluationTime)
        var shipped: [Shipped] = []
        for (reporter, files) in try DemoScenario().writeShipments(to: folder.appendingPathComponent("logs")) {
            if try enforcement.store.reporter(id: reporter.id) == nil {
                try enforcement.store.addReporter(Reporter(id: reporter.id, name: reporter.name, organisation: reporter.organisation, createdAt: DemoScenario.evaluationTime))
            }
            shipped.append(Shipped(reporter: reporter, outcomes: try enforcement.ingest(files: files, reporter: reporter.id)))
        }
        return (enforcement, registryFile, imported, shipped)
    }

    /// The whole run with `rules`: prepare, evaluate, export and verify every case touched.
    public func run(rules: RuleSet) throws -> Report {
        let (enforcement, registryFile, imported, shipped) = try prepare()
        let evaluation = try enforcement.evaluate(rules: rules, asOf: DemoScenario.evaluationTime)
        let cases = try evaluation.changes.compactMap { try enforcement.store.enforcementCase(id: $0.caseID)?.0 }
        let key = try RegistryKey.loadOrCreate(dataFolder: folder)
        let exporter = EvidenceExporter(store: enforcement.store, dataFolder: folder, key: key)
        let verifier = EvidenceVerifier(publicKey: key.privateKey.publicKey, archiveFolder: folder)
        let bundles = try cases.map { item in
            let path = EvidenceLocation.folder(dataFolder: folder, caseID: item.id)
            try exporter.export(caseID: item.id, to: path, at: DemoScenario.evaluationTime)
            return Bundle(caseID: item.id, path: path, problems: verifier.verify(path))
        }
        let attacker = try enforcement.store.registry.state(of: IPAddress(DemoScenario.dictionaryAttacker)!, at: DemoScenario.evaluationTime + 1)
        return Report(
            database: database, registryFile: registryFile, imported: imported, shipped: shipped, evaluation: evaluation, cases: cases, bundles: bundles,
            publicKey: key.publicKeyBase64, attacker: attacker)
    }
}
