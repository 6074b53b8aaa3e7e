import ArgumentParser
import EnforcementEngine
import Foundation
import LogParsers
import Primitives

extension AbuseIngestCommand {
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the rules over the stored aggregates: open or update cases and take their actions.",
            discussion: """
                Deterministic: the same store, rules and --as-of give the same result; run again, it opens \
                no duplicate (one open case per subject and rule; new evidence updates it). A suspend rule \
                suspends only an active registration reported by at least 2 organisations, provisionally \
                until staff approve. Every step is in the audit log.
                """
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "The rules folder (default: rules/ in the data folder when it exists, else ./rules, else the shipped rules).") var rules: String?
        @Option(name: .customLong("as-of"), help: "Evaluate as of this time (ISO 8601; default now).") var asOf: String?
        @Flag(name: .customLong("dry-run"), help: "Show what would happen; change nothing.") var dryRun = false
        @Flag(help: "Print the changes as JSON.") var json = false

        func validate() throws {
            if let asOf, ISOTime.parse(asOf) == nil { throw ValidationError("--as-of '\(asOf)' is not an ISO 8601 time") }
        }

        func run() throws {
            let set = try RulesFolder.resolve(explicit: rules, dataFolder: global.dataFolder)
            let store = try global.engineStore()
            let time = asOf.flatMap(ISOTime.parse) ?? Clock.nowMillis()
            let longest = set.rules.map(\.window).max() ?? 0
            let evaluator = RuleEvaluator(rules: set, organisations: try store.organisations(), registry: try store.registry.loadIndex())
            var session = RuleEvaluator.Session(evaluator: evaluator, asOf: time)
            var clients = 0
            try store.forEachClient(from: time - longest, to: time) { client in
                clients += 1
                session.add(client)
            }
            let (matches, contradictions) = session.finish()
            let changes = try store.apply(matches, contradictions: contradictions, asOf: time, dryRun: dryRun)
            if json {
                print(try JSONText.encode(changes))
                return
            }
            for c in changes {
                print("\(c.caseID) \(c.change.rawValue): \(c.rule) \(c.subject) → \(c.action), \(c.status), severity \(c.severity)\(c.note.map { " (\($0))" } ?? "")")
            }
            for c in contradictions {
                print("contradiction: \(c.reporter) alone accuses \(c.subject) under \(c.ruleID); \(c.witnesses.count) other reporter(s) saw it behave well — no case")
            }
            Terminal.error("abuse-ingest: \(set.rules.count) rules (\(set.folder)) over \(clients) clients as of \(ISOTime.format(millis: time, fraction: false)): \(changes.filter { $0.change == .opened }.count) opened, \(changes.filter { $0.change == .updated }.count) updated\(dryRun ? " (dry run: nothing written)" : "")")
        }
    }
}
