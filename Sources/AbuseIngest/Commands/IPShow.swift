import ArgumentParser
import EnforcementEngine
import Foundation
import Primitives

extension AbuseIngestCommand {
    struct IP: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ip", abstract: "What the registry knows of one address.", subcommands: [Show.self])

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", 
                abstract: "Registration history, counts per reporter and day by kind and kind.reason, first and last seen, cases.")
            @OptionGroup var global: GlobalOptions
            @Option(help: "From this time (ISO 8601).") var from: String?
            @Option(help: "Up to this time (ISO 8601).") var to: String?
            @Flag(help: "Print JSON (FORMATS.md §1).") var json = false
            @Argument(help: "An IPv4 or IPv6 address.") var address: String

            func validate() throws {
                guard IPAddress(address) != nil else { throw ValidationError("'\(address)' is not an IP address") }
                for (name, value) in [("--from", from), ("--to", to)] {
                    if let value, ISOTime.parse(value) == nil { throw ValidationError("\(name) '\(value)' is not an ISO 8601 time") }
                }
            }

            func run() throws {
                let store = try global.engineStore()
                let ip = IPAddress(address)!
                let report = AddressReport(
                    try store.activity(of: ip, from: from.flatMap(ISOTime.parse), to: to.flatMap(ISOTime.parse)), cases: try store.cases(subject: ip.description))
                if json {
                    print(try JSONText.encode(report))
                    return
                }
                print(report.ip)
                print("registration:")
                if report.registration.isEmpty { print("  none (unregistered)") }
                for r in report.registration {
                    print(
                        "  \(r.since) \(r.network) \(r.status) registrant=\(r.registrant) contact=\(r.abuseContact) (\(r.cause)\(r.caseID.map { ", case \($0)" } ?? "")\(r.provisional ? ", provisional" : ""))"
                    )
                }
                if let first = report.firstSeen, let last = report.lastSeen { print("seen: \(first) to \(last)") }
                for (reporter, days) in report.reporters.sorted(by: { $0.key < $1.key }) {
                    print("reporter \(reporter):")
                    for (day, counts) in days.sorted(by: { $0.key < $1.key }) {
                        print("  \(day): " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                    }
                }
                if report.cases.isEmpty { print("cases: none") }
                for c in report.cases { print("case \(c.id): \(c.status.rawValue), \(c.rule) → \(c.action.rawValue), severity \(c.severity.rawValue)") }
            }
        }
    }
}
