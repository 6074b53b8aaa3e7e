import ArgumentParser
import EnforcementEngine
import Foundation
import Primitives

extension AbuseIngestCommand {
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "evaluate", 
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
            let set = try RuleSet.resolve(explicit: rules, dataFolder: global.dataFolder)
            let evaluation = try global.enforcement().evaluate(rules: set, asOf: asOf.flatMap(ISOTime.parse), dryRun: dryRun)
            if json {
                print(try JSONText.encode(evaluation.changes))
                return
            }
            for c in evaluation.changes {
                print("\(c.caseID) \(c.change.rawValue): \(c.rule) \(c.subject) → \(c.action.rawValue), \(c.status.rawValue), severity \(c.severity.rawValue)\(c.note.map { " (\($0))" } ?? "")")
            }
            for c in evaluation.contradictions {
                print("contradiction: \(c.reporter) alone accuses \(c.subject) under \(c.ruleID); \(c.witnesses.count) other reporter(s) saw it behave well — no case")
            }
            Terminal.error(
                "abuse-ingest: \(evaluation.rules) rules (\(evaluation.rulesFolder)) over \(evaluation.clients) clients as of \(ISOTime.format(millis: evaluation.asOf, fraction: false)): \(evaluation.opened) opened, \(evaluation.updated) updated\(dryRun ? " (dry run: nothing written)" : "")"
            )
        }
    }
}
