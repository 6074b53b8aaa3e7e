import ArgumentParser
import EnforcementEngine
import Foundation
import LogParsers
import Primitives
import RegistryClient

extension AbuseIngestCommand {
    struct Rules: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check rules files, and see which rules would fire on given logs and why.",
            subcommands: [Lint.self, Test.self]
        )

        struct Lint: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Validate a rules folder: every error with its file, line and column; exit 2 when any.")
            @Argument(help: "The rules folder (default ./rules when it exists, else the shipped rules).") var folder: String?

            func run() throws {
                let set = try RulesFolder.resolve(explicit: folder, dataFolder: URL(fileURLWithPath: "."))
                print("\(set.folder): \(set.rules.count) rules valid, \(set.allowlist.count) allow-listed networks")
                for rule in set.rules {
                    print("  \(rule.id): \(rule.action.rawValue), \(rule.severity.rawValue), window \(rule.window / 3_600_000)h, applies to \(rule.appliesTo.map(\.rawValue).sorted().joined(separator: "/"))")
                }
            }
        }

        struct Test: ParsableCommand {
            static let configuration = CommandConfiguration(
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
            @Flag(help: "Show subjects whose rules did not fire too.") var all = false
            @Argument(help: "Log files.") var files: [String]

            func run() throws {
                let set = try RulesFolder.resolve(explicit: rules, dataFolder: global.dataFolder)
                let index: RegistrationIndex
                if FileManager.default.fileExists(atPath: global.db) {
                    index = try global.registryStore().loadIndex()
                } else {
                    index = RegistrationIndex(rows: [])
                }
                var activity: [IPAddress: [ClientActivity.Row]] = [:]
                var organisations: [String: String] = [:]
                var last: Int64 = 0
                let parser = LogFileParser(options: ParseOptions(timeZone: TimeZone(identifier: timezone)))
                for file in files {
                    // The path as given: files of several reporters often share a name (2026-11-28.log.gz).
                    let reporter = file
                    organisations[reporter] = reporter
                    do {
                        let summary = try parser.parse(path: file) { event in
                            guard let ip = event.clientIP, event.hasTime else { return }
                            last = max(last, event.time)
                            let status = StatusCode.code(index.status(of: ip, at: event.time))
                            activity[ip, default: []].append(
                                .init(reporter: reporter, hour: event.time / 3_600_000, kind: event.kind.rawValue, reason: event.reason?.rawValue ?? 255, status: status, count: 1))
                        }
                        Terminal.error("\(file): \(summary.events) events")
                    } catch {
                        Terminal.reportError(error.description)
                        throw ExitStatus.failure
                    }
                }
                let clients = activity.map { ClientActivity(ip: $0.key, rows: $0.value) }
                let evaluator = RuleEvaluator(rules: set, organisations: organisations, registry: index)
                let (matches, contradictions) = evaluator.evaluateWithContradictions(clients, asOf: last + 1, explainAll: true)
                var fired = 0
                for match in matches where all || match.fired || match.results.contains(where: \.holds) {
                    if match.fired { fired += 1 }
                    print("\(match.rule.id) \(match.subject): \(match.fired ? "FIRES → \(match.rule.action.rawValue)" : "does not fire")")
                    for r in match.results {
                        print("  \(r.holds ? "✔" : "✘") \(r.label): \(ConditionResult.display(r.value)) (needs ≥ \(ConditionResult.display(r.threshold)))")
                    }
                }
                for c in contradictions {
                    print("contradiction: \(c.reporter) alone accuses \(c.subject) (\(c.ruleID)); \(c.witnesses.joined(separator: ", ")) saw it behave well")
                }
                print("\(fired) rule firing(s)")
            }

        }
    }
}

/// Loads rules and reports every problem the FORMATS.md way (exit 2).
enum RulesFolder {
    /// The rules of `folder`, which must exist.
    static func load(_ folder: String) throws -> RuleSet {
        do {
            return try RuleSet.load(folder: folder)
        } catch {
            throw report(error)
        }
    }

    /// The rules in force: `explicit` when given, else rules/ in the data folder, ./rules,
    /// or the shipped rules (`RuleSet.resolve`).
    static func resolve(explicit: String?, dataFolder: URL) throws -> RuleSet {
        do {
            return try RuleSet.resolve(explicit: explicit, dataFolder: dataFolder)
        } catch {
            throw report(error)
        }
    }

    private static func report(_ failure: RuleLoadFailure) -> ExitCode {
        switch failure {
        case .invalid(let folder, let errors):
            for problem in errors { Terminal.reportError(problem.description) }
            Terminal.error("abuse-ingest: \(errors.count) error(s) in \(folder); no rule of it is loaded")
        case .missingFolder, .unreadableFolder:
            Terminal.reportError(failure.description)
        }
        return ExitStatus.usage
    }
}
