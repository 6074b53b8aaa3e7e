import ArgumentParser
import EnforcementEngine
import Evidence
import Foundation
import Primitives

extension AbuseIngestCommand {
    struct Cases: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cases", 
            abstract: "What enforcement staff review: list, show, approve, dismiss, reinstate.",
            subcommands: [List.self, Show.self, Approve.self, Dismiss.self, Reinstate.self]
        )

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List cases.")
            @OptionGroup var global: GlobalOptions
            @Option(help: "Only this status (open, suspended, confirmed, dismissed, reinstated).") var status: EnforcementCase.Status?
            @Flag(help: "Print a JSON array (FORMATS.md §1).") var json = false

            func run() throws {
                let cases = try global.engineStore().cases(status: status)
                if json {
                    print(try JSONText.encode(cases.map(CaseDocument.init)))
                    return
                }
                if cases.isEmpty { print("no cases") }
                for c in cases {
                    print("\(c.id) \(c.status.rawValue) \(c.severity.rawValue) \(c.subject) \(c.ruleID) → \(c.action.rawValue) (opened \(ISOTime.format(millis: c.opened, fraction: false)))")
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", 
                abstract: "A case: figures, sample lines of its window, its evidence bundle, e-mails to the abuse contact, history and the registration it concerns.")
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Print JSON.") var json = false
            @Argument(help: "Case id (C-YYYY-NNNNNN).") var id: String

            func run() throws {
                let store = try global.engineStore()
                guard let (item, audit) = try store.enforcementCase(id: id) else { throw EngineStore.CaseError.noSuchCase(id) }
                let samples = try store.samples(of: item.addresses, window: item.window, perReporter: 5, dataFolder: global.dataFolder)
                let notices = try store.notices(caseID: item.id)
                if json {
                    print(try JSONText.encode(CaseDocument(item, audit: audit, samples: samples, notices: notices)))
                    return
                }
                let window = "\(ISOTime.format(millis: item.windowStart, fraction: false)) to \(ISOTime.format(millis: item.windowEnd, fraction: false))"
                print("\(item.id): \(item.status.rawValue), severity \(item.severity.rawValue)")
                print("subject: \(item.subject) (\(item.subjectKind.rawValue))\(item.registrant.map { ", registrant \($0)" } ?? "")")
                if let addresses = item.figures.addresses { print("addresses: \(addresses.joined(separator: ", "))") }
                print("rule: \(item.ruleID) (file sha256 \(item.ruleSHA256)) → \(item.action.rawValue)")
                print("window: \(window)")
                print("figures:")
                for condition in item.figures.conditions {
                    print("  \(condition.holds ? "✔" : "✘") \(condition.label): \(ConditionResult.display(condition.value)) (needs ≥ \(ConditionResult.display(condition.threshold)))")
                }
                for (reporter, counts) in item.figures.reporters.sorted(by: { $0.key < $1.key }) {
                    print("  \(reporter): " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                }
                print(samples.isEmpty ? "samples: none in the window \(window)" : "samples from the window \(window):")
                for sample in samples {
                    print("  \(sample.reporter) \(sample.file):\(sample.line) (byte \(sample.offset), \(sample.selector)): \(Terminal.escaped(sample.text ?? "(not in the archive)"))")
                }
                print("evidence: \(try EvidenceLocation.status(of: item.id, dataFolder: global.dataFolder))")
                print(notices.isEmpty ? "notices: none" : "notices:")
                for notice in notices {
                    let tries = notice.attempts == 1 ? "1 attempt" : "\(notice.attempts) attempts"
                    print(
                        "  \(notice.title) to \(Terminal.escaped(notice.recipient)): \(notice.status.rawValue) (\(tries), \(ISOTime.format(millis: notice.updated, fraction: false)))\(notice.reply.isEmpty ? "" : ": " + Terminal.escaped(notice.reply))"
                    )
                }
                print("history:")
                for entry in audit {
                    print(
                        "  \(ISOTime.format(millis: entry.time, fraction: false)) \(entry.actor): \(entry.action) \(entry.fromStatus?.rawValue ?? "-") → \(entry.toStatus?.rawValue ?? "-"): \(entry.reason)"
                    )
                }
            }
        }
    }
}

extension EnforcementCase.Status: ExpressibleByArgument {}
