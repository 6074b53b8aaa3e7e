import ArgumentParser
import Demo
import EnforcementEngine
import Foundation
import Primitives

extension AbuseIngestCommand {
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "demo", 
            abstract: "Run the whole pipeline on sample data: registry, three nights of logs from four ISPs, ingest, evaluate, cases.",
            discussion: """
                Writes DIR/registry.csv and DIR/logs/<reporter>/<night>.log.gz (Postfix, Exim, Sendmail), \
                ingests them into DIR/abuse-ingest.db, evaluates the rules (DIR/rules, written from the \
                shipped rules when absent), exports and verifies each case's evidence, and prints the \
                cases and the next commands to try. Run it again: everything is a duplicate and no case is \
                opened twice.
                """
        )
        @Option(help: "Folder for the sample data and database.") var dir = "abuse-ingest-demo"
        @Option(help: "The rules folder (default: DIR/rules, written from the shipped rules when absent).") var rules: String?

        func run() throws {
            let folder = URL(fileURLWithPath: dir)
            let rulesFolder = rules ?? folder.appendingPathComponent("rules").path
            if rules == nil, !FileManager.default.fileExists(atPath: rulesFolder) { try RuleSet.writeShipped(to: URL(fileURLWithPath: rulesFolder)) }
            let report = try DemoRun(folder: folder).run(rules: try RuleSet.load(folder: rulesFolder))
            print("registry: \(report.imported.rows) networks (\(report.imported.added) added, \(report.imported.unchanged) unchanged) from \(report.registryFile.path)")
            for shipment in report.shipped {
                let statuses = Dictionary(grouping: shipment.outcomes, by: \.status).map { "\($0.value.count) \($0.key.rawValue)" }.sorted().joined(separator: ", ")
                let events = shipment.outcomes.reduce(0) { $0 + $1.events }
                print("ingest \(shipment.reporter.id) (\(shipment.reporter.mta.rawValue), \(shipment.reporter.organisation)): \(events) events from \(shipment.outcomes.count) nights: \(statuses)")
            }
            print("\nevaluate as of \(ISOTime.format(millis: report.evaluation.asOf, fraction: false)) with \(report.evaluation.rules) rules from \(rulesFolder):")
            for (change, item) in zip(report.evaluation.changes, report.cases) {
                print("  \(item.id) [\(change.change.rawValue)] \(item.subject) — \(item.ruleID) → \(item.action.rawValue), now \(item.status.rawValue), severity \(item.severity.rawValue)")
                print("      " + item.figures.conditions.map { "\($0.label) \(ConditionResult.display($0.value)) (≥ \(ConditionResult.display($0.threshold)))" }.joined(separator: "; "))
                print("      reported by " + item.figures.reporters.keys.sorted().joined(separator: ", "))
                if let note = change.note { print("      \(note)") }
            }
            for c in report.evaluation.contradictions {
                print("  no case: \(c.reporter) alone accuses \(c.subject) (\(c.ruleID)) while \(c.witnesses.joined(separator: " and ")) saw it deliver normally")
            }
            print("\nevidence (signed by \(report.publicKey)):")
            for bundle in report.bundles {
                print("  \(bundle.caseID): \(bundle.path.path) — \(bundle.problems.isEmpty ? "verified (hashes, signature, excerpts against the archive)" : bundle.problems.joined(separator: "; "))")
            }
            let attacker = report.attacker
            print(
                "\nregistry now says \(DemoScenario.dictionaryAttacker) is \(attacker.status.rawValue)\(attacker.caseID.map { " (case \($0))" } ?? "") — over DNS: \(attacker.status.dnsAnswer.map { "\($0.0).\($0.1).\($0.2).\($0.3)" } ?? "NXDOMAIN")"
            )
            let first = report.evaluation.changes.first { $0.action == .suspend }?.caseID ?? report.evaluation.changes.first?.caseID ?? "C-2026-000001"
            let db = report.database
            print(
                """

                next, try:
                  abuse-ingest cases list --db \(db)
                  abuse-ingest cases show \(first) --db \(db)
                  abuse-ingest evidence verify \(folder.appendingPathComponent("evidence/\(first)").path) --db \(db) --archive \(folder.path)
                  abuse-ingest ip show \(DemoScenario.dictionaryAttacker) --db \(db)
                  abuse-ingest cases approve \(first) --by alice --reason "list washing confirmed" --db \(db)
                  abuse-ingest registry serve-dns --db \(db) --listen 127.0.0.1:5353 --zone reg.example.org
                  dig @127.0.0.1 -p 5353 20.100.51.198.reg.example.org TXT
                  abuse-ingest reporters status --db \(db)
                """)
        }
    }
}
