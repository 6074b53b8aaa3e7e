import ArgumentParser
import Foundation
import LogParsers
import Primitives
import RegistryClient

extension AbuseIngestCommand {
    struct RegistryLookup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lookup",
            abstract: "The registration status of each address, now or at a past time.",
            discussion: "Statuses: active, suspended, revoked, unregistered. Longest prefix wins."
        )

        @OptionGroup var global: GlobalOptions
        @Option(help: "The moment to ask about (ISO 8601); default now.") var at: String?
        @Flag(help: "Print a JSON array.") var json = false
        @Argument(help: "IPv4 or IPv6 addresses.") var addresses: [String]

        func validate() throws {
            if let at, ISOTime.parse(at) == nil { throw ValidationError("--at '\(at)' is not an ISO 8601 time such as 2026-11-28T03:00:00Z") }
            for address in addresses where IPAddress(address) == nil { throw ValidationError("'\(address)' is not an IP address") }
            if addresses.isEmpty { throw ValidationError("name at least one address") }
        }

        struct Answer: Encodable {
            var ip: String
            var at: String
            var status: String
            var network: String?
            var registrant: String?
            var caseID: String?
            var since: String?

            enum CodingKeys: String, CodingKey {
                case ip, at, status, network, registrant
                case caseID = "case"
                case since
            }
        }

        func run() throws {
            let store = try global.registryStore()
            let time = at.flatMap(ISOTime.parse) ?? Clock.nowMillis()
            var answers: [Answer] = []
            for address in addresses {
                let ip = IPAddress(address)!
                let state = try store.state(of: ip, at: time)
                answers.append(
                    Answer(
                        ip: ip.description, at: ISOTime.format(millis: time, fraction: false), status: state.status.rawValue,
                        network: state.network?.description, registrant: state.registrant, caseID: state.caseID,
                        since: state.validFrom.map { ISOTime.format(millis: $0, fraction: false) }))
            }
            if json {
                print(try JSONText.encode(answers))
                return
            }
            for a in answers {
                var line = "\(a.ip) \(a.status)"
                if let network = a.network { line += " \(network)" }
                if let registrant = a.registrant { line += " registrant=\(registrant)" }
                if let caseID = a.caseID { line += " case=\(caseID)" }
                if let since = a.since { line += " since=\(since)" }
                print(line)
            }
        }
    }
}
