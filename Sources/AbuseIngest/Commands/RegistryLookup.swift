import ArgumentParser
import Foundation
import Primitives
import RegistryClient

extension AbuseIngestCommand.Registry {
    struct Lookup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "lookup", 
            abstract: "The registration status of each address, now or at a past time; or from a remote registry over DNS.",
            discussion: """
                Statuses: active, suspended, revoked, unregistered (and unknown when a remote registry \
                cannot be asked). Longest prefix wins. With --server and --zone the addresses are asked \
                of a registry zone over DNS (TXT, then A), as a deployment without the registry's \
                database does; --at is not possible then (the zone knows the present only).
                """
        )

        @OptionGroup var global: GlobalOptions
        @Option(help: "The moment to ask about (ISO 8601); default now.") var at: String?
        @Option(help: "A registry's DNS server to ask instead of the database (ADDR:PORT).") var server: String?
        @Option(help: "The registry zone on --server, e.g. reg.example.org.") var zone: String?
        @Flag(help: "Print a JSON array.") var json = false
        @Argument(help: "IPv4 or IPv6 addresses.") var addresses: [String]

        func validate() throws {
            if let at, ISOTime.parse(at) == nil { throw ValidationError("--at '\(at)' is not an ISO 8601 time such as 2026-11-28T03:00:00Z") }
            for address in addresses where IPAddress(address) == nil { throw ValidationError("'\(address)' is not an IP address") }
            if addresses.isEmpty { throw ValidationError("name at least one address") }
            if (server == nil) != (zone == nil) { throw ValidationError("--server and --zone go together") }
            if server != nil, at != nil { throw ValidationError("--at cannot be asked of a DNS zone (it knows the present only)") }
            if let server, ListenAddress(server) == nil { throw ValidationError("--server '\(server)' must be ADDR:PORT, e.g. 192.0.2.53:53") }
            if let zone, DNSName(zone) == nil { throw ValidationError("--zone '\(zone)' is not a domain name") }
        }

        func run() async throws {
            let time = at.flatMap(ISOTime.parse) ?? WallClock.system.nowMillis()
            let source: any RegistrationLookup
            if let server, let zone, let address = ListenAddress(server) {
                source = try DNSRegistrationLookup(configuration: .init(host: address.host, port: address.port, zone: DNSName(zone)!))
            } else {
                source = EmbeddedRegistrationLookup(index: try global.registryStore().loadIndex())
            }
            var answers: [RegistrationAnswer] = []
            for address in addresses {
                let ip = IPAddress(address)!
                answers.append(RegistrationAnswer(ip: ip, at: time, state: await source.state(of: ip, at: time)))
            }
            if json {
                print(try JSONText.encode(answers))
                return
            }
            for a in answers { print(a.line) }
        }
    }
}
