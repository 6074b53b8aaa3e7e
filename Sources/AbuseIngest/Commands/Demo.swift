import ArgumentParser
import Demo
import EnforcementEngine
import Evidence
import Foundation
import LogParsers
import Primitives
import RegistryClient

extension AbuseIngestCommand {
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the whole pipeline on sample data: registry, three nights of logs from four ISPs, ingest, evaluate, cases.",
            discussion: """
                Writes DIR/registry.csv and DIR/logs/<reporter>/<night>.log.gz (Postfix, Exim, Sendmail), \
                ingests them into DIR/abuse-ingest.db, evaluates the rules and prints the cases and the next \
                commands to try. Run it again: everything is a duplicate and no case is opened twice.
                """
        )
        @Option(help: "Folder for the sample data and database.") var dir = "abuse-ingest-demo"
        @Option(help: "The rules folder (default: DIR/rules, written from the shipped rules when absent).") var rules: String?

        func run() throws {
            let folder = URL(fileURLWithPath: dir)
            let fm = FileManager.default
            try fm.createDirectory(at: folder, withIntermediateDirectories: true)
            // The shipped rules travel with the binary: the demo's data folder gets a copy,
            // which `evaluate --db DIR/abuse-ingest.db` then finds.
            let rulesFolder = rules ?? folder.appendingPathComponent("rules").path
            if rules == nil, !fm.fileExists(atPath: rulesFolder) { try RuleSet.writeShipped(to: URL(fileURLWithPath: rulesFolder)) }
            let set = try RulesFolder.load(rulesFolder)
            let scenario = DemoScenario()
            let db = folder.appendingPathComponent("abuse-ingest.db").path
            let store = try EngineStore(database: try DatabaseConnection.open(path: db))

            // 1. The registry.
            let csvPath = folder.appendingPathComponent("registry.csv")
            try DemoScenario.registryCSV.write(to: csvPath, atomically: true, encoding: .utf8)
            let csv = try RegistryCSV(bytes: Array(DemoScenario.registryCSV.utf8))
            let imported = try store.registry.importRows(csv.rows, file: csvPath.path, sha256: Digest.sha256(file: csvPath.path).hex, now: DemoScenario.evaluationTime)
            print("registry: \(imported.rows) networks (\(imported.added) added, \(imported.unchanged) unchanged) from \(csvPath.path)")

            // 2. Reporters and their nights of logs.
            var shipped: [(DemoScenario.Reporter, [String])] = []
            for reporter in DemoScenario.reporters {
                if try store.reporter(id: reporter.id) == nil {
                    try store.addReporter(EnforcementEngine.Reporter(id: reporter.id, name: reporter.name, organisation: reporter.organisation, createdAt: DemoScenario.evaluationTime))
                }
                let logs = folder.appendingPathComponent("logs").appendingPathComponent(reporter.id)
                try fm.createDirectory(at: logs, withIntermediateDirectories: true)
                var files: [String] = []
                for night in DemoScenario.nights {
                    let path = logs.appendingPathComponent("\(night).log.gz").path
                    let writer = try GzipFileWriter(path: path)
                    writer.write(scenario.log(for: reporter, night: night))
                    try writer.close()
                    // Shipped the next morning: the year of year-less stamps follows from it.
                    let shippedAt = ISOTime.parse(night + "T00:00:00Z")! / 1000 + 86_400 + 6 * 3600
                    try fm.setAttributes([.modificationDate: Date(timeIntervalSince1970: Double(shippedAt))], ofItemAtPath: path)
                    files.append(path)
                }
                shipped.append((reporter, files))
            }

            // 3. Ingest.
            let ingestor = Ingestor(store: store, index: try store.registry.loadIndex(), options: .init(dataFolder: folder))
            for (reporter, files) in shipped {
                let outcomes = try ingestor.ingest(files: files, reporter: try store.reporter(id: reporter.id)!, now: DemoScenario.evaluationTime)
                let statuses = Dictionary(grouping: outcomes, by: \.status).map { "\($0.value.count) \($0.key.rawValue)" }.sorted().joined(separator: ", ")
                print("ingest \(reporter.id) (\(reporter.mta.rawValue), \(reporter.organisation)): \(outcomes.reduce(0) { $0 + $1.events }) events from \(files.count) nights: \(statuses)")
            }

            // 4. Evaluate.
            let asOf = DemoScenario.evaluationTime
            let longest = set.rules.map(\.window).max() ?? 0
            let evaluator = RuleEvaluator(rules: set, organisations: try store.organisations(), registry: try store.registry.loadIndex())
            let (matches, contradictions) = evaluator.evaluateWithContradictions(try store.activity(from: asOf - longest, to: asOf), asOf: asOf)
            let changes = try store.apply(matches, contradictions: contradictions, asOf: asOf, dryRun: false)
            print("\nevaluate as of \(ISOTime.format(millis: asOf, fraction: false)) with \(set.rules.count) rules from \(rulesFolder):")
            for change in changes {
                guard let (item, _) = try store.enforcementCase(id: change.caseID) else { continue }
                let figures: CaseFigures? = try item.decodedFigures()
                print("  \(item.id) [\(change.change.rawValue)] \(item.subject) — \(item.ruleID) → \(item.action), now \(item.status), severity \(item.severity)")
                if let figures {
                    print("      " + figures.conditions.map { "\($0.label) \(ConditionResult.display($0.value)) (≥ \(ConditionResult.display($0.threshold)))" }.joined(separator: "; "))
                    print("      reported by " + figures.reporters.keys.sorted().joined(separator: ", "))
                }
                if let note = change.note { print("      \(note)") }
            }
            for c in contradictions {
                print("  no case: \(c.reporter) alone accuses \(c.subject) (\(c.ruleID)) while \(c.witnesses.joined(separator: " and ")) saw it deliver normally")
            }
            // 5. Evidence: each case's signed bundle, exported and verified against the archive.
            let key = try RegistryKey.loadOrCreate(dataFolder: folder)
            let exporter = EvidenceExporter(store: store, dataFolder: folder, key: key)
            print("\nevidence (signed by \(key.publicKeyBase64)):")
            for change in changes {
                let bundleFolder = EvidenceLocation.folder(dataFolder: folder, caseID: change.caseID)
                try exporter.bundle(caseID: change.caseID).write(to: bundleFolder)
                let problems = EvidenceVerifier(publicKey: key.privateKey.publicKey, archiveFolder: folder).verify(bundleFolder)
                print("  \(change.caseID): \(bundleFolder.path) — \(problems.isEmpty ? "verified (hashes, signature, excerpts against the archive)" : problems.joined(separator: "; "))")
            }
            let attacker = try store.registry.state(of: IPAddress(DemoScenario.dictionaryAttacker)!, at: asOf + 1)
            print("\nregistry now says \(DemoScenario.dictionaryAttacker) is \(attacker.status.rawValue)\(attacker.caseID.map { " (case \($0))" } ?? "") — over DNS: 127.0.0.\(attacker.status == .suspended ? 3 : 2)")
            let first = changes.first { $0.action == "suspend" }?.caseID ?? changes.first?.caseID ?? "C-2026-000001"
            print(
                """

                next, try:
                  abuse-ingest cases list --db \(db)
                  abuse-ingest cases show \(first) --db \(db)
                  abuse-ingest evidence verify \(EvidenceLocation.folder(dataFolder: folder, caseID: first).path) --db \(db) --archive \(folder.path)
                  abuse-ingest ip show \(DemoScenario.dictionaryAttacker) --db \(db)
                  abuse-ingest cases approve \(first) --by alice --reason "list washing confirmed" --db \(db)
                  abuse-ingest registry serve-dns --db \(db) --listen 127.0.0.1:5353 --zone reg.example.org
                  dig @127.0.0.1 -p 5353 20.100.51.198.reg.example.org TXT
                  abuse-ingest reporters status --db \(db)
                """)
        }
    }
}
