import ArgumentParser
import EnforcementEngine
import Foundation
import LogParsers
import Primitives
import RegistryClient

extension AbuseIngestCommand {
    struct IP: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ip", abstract: "What the registry knows of one address.", subcommands: [Show.self])

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
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
                let activity = try store.activity(of: ip, from: from.flatMap(ISOTime.parse), to: to.flatMap(ISOTime.parse))
                let registration = activity.registration.map(RegistrationDocument.init)
                let cases = try store.cases(subject: ip.description)
                if json {
                    let document = IPShowJSON(
                        ip: ip.description, registration: registration, reporters: activity.reporters,
                        firstSeen: activity.firstSeen.map { ISOTime.format(millis: $0, fraction: false) },
                        lastSeen: activity.lastSeen.map { ISOTime.format(millis: $0, fraction: false) }, cases: try cases.map(CaseJSON.init))
                    print(try JSONText.encode(document))
                    return
                }
                print("\(ip)")
                print("registration:")
                if registration.isEmpty { print("  none (unregistered)") }
                for r in registration {
                    print("  \(r.since) \(r.network) \(r.status) registrant=\(r.registrant) contact=\(r.abuseContact) (\(r.cause)\(r.caseID.map { ", case \($0)" } ?? "")\(r.provisional ? ", provisional" : ""))")
                }
                if let first = activity.firstSeen, let last = activity.lastSeen {
                    print("seen: \(ISOTime.format(millis: first, fraction: false)) to \(ISOTime.format(millis: last, fraction: false))")
                }
                for (reporter, days) in activity.reporters.sorted(by: { $0.key < $1.key }) {
                    print("reporter \(reporter):")
                    for (day, counts) in days.sorted(by: { $0.key < $1.key }) {
                        print("  \(day): " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                    }
                }
                if cases.isEmpty { print("cases: none") }
                for c in cases { print("case \(c.id): \(c.status), \(c.ruleID) → \(c.action), severity \(c.severity)") }
            }
        }
    }
}

struct IPShowJSON: Encodable {
    var ip: String
    var registration: [RegistrationDocument]
    var reporters: [String: [String: [String: Int]]]
    var firstSeen: String?
    var lastSeen: String?
    var cases: [CaseJSON]

    enum CodingKeys: String, CodingKey {
        case ip, registration, reporters
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
        case cases
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ip, forKey: .ip)
        try c.encode(registration, forKey: .registration)
        try c.encode(reporters, forKey: .reporters)
        try c.encode(firstSeen, forKey: .firstSeen)
        try c.encode(lastSeen, forKey: .lastSeen)
        try c.encode(cases, forKey: .cases)
    }
}
