import ArgumentParser
import EnforcementEngine
import Foundation
import LogParsers
import Primitives
import RegistryClient

extension AbuseIngestCommand {
    struct Rules: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rules", 
            abstract: "Check rules files, and see which rules would fire on given logs and why.",
            subcommands: [Lint.self, Test.self]
        )

        struct Lint: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "lint", 
                abstract: "Validate a rules folder: every error with its file, line and column; exit 2 when any.")
            @Argument(help: "The rules folder (default ./rules when it exists, else the shipped rules).") var folder: String?

            func run() throws {
                let set = try RuleSet.resolve(explicit: folder, dataFolder: URL(fileURLWithPath: "."))
                print("\(set.folder): \(set.rules.count) rules valid, \(set.allowlist.count) allow-listed networks")
                for rule in set.rules {
                    print("  \(rule.id): \(rule.action.rawValue), \(rule.severity.rawValue), window \(rule.window / 3_600_000)h, applies to \(rule.appliesTo.map(\.rawValue).sorted().joined(separator: "/"))")
                }
            }
        }

        struct Test: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "test", 
                abstract: "Parse logs in memory (nothing stored) and show, per rule and subject, each condition's figure against its threshold.",
                discussion: """
                    Each FILE counts as a reporter of its own (named by the path as given), so \
                    distinct_reporters and distinct_organisations are the number of files. Registration statuses come from --db \
                    when it exists (unregistered otherwise). The window ends just after the last event.
                    """
            )
            @OptionGroup var global: GlobalOptions
            @Option(help: "The rules folder (default: rules/ in the data folder, ./rules, or the shipped rules).") var rules: String?
            @Option(help: "IANA zone of zone-less log times.") var timezone: String = "UTC"

            func validate() throws {
                guard TimeZone(identifier: timezone) != nil else { throw ValidationError("--timezone '\(timezone)' is not an IANA time zone name") }
            }
            @Flag(help: "Show subjects whose rules did not fire too.") var all = false
            @Argument(help: "Log files.") var files: [String]

            func run() throws {
                let set = try RuleSet.resolve(explicit: rules, dataFolder: global.dataFolder)
                let index = global.databaseExists ? try global.registryStore().loadIndex() : RegistrationIndex(rows: [])
                let trial = try RuleTrial.run(files: files, rules: set, registry: index, timeZone: TimeZone(identifier: timezone))
                for (file, events) in trial.events { Terminal.error("\(file): \(events) events") }
                var fired = 0
                for match in trial.matches where all || match.fired || match.results.contains(where: \.holds) {
                    if match.fired { fired += 1 }
                    print("\(match.rule.id) \(match.subject): \(match.fired ? "FIRES → \(match.rule.action.rawValue)" : "does not fire")")
                    for r in match.results {
                        print("  \(r.holds ? "✔" : "✘") \(r.label): \(ConditionResult.display(r.value)) (needs ≥ \(ConditionResult.display(r.threshold)))")
                    }
                }
                for c in trial.contradictions {
                    print("contradiction: \(c.reporter) alone accuses \(c.subject) (\(c.ruleID)); \(c.witnesses.joined(separator: ", ")) saw it behave well")
                }
                print("\(fired) rule firing(s)")
            }
        }
    }
}
