import ArgumentParser
import Foundation
import Primitives
import RegistryClient

extension AbuseIngestCommand.Registry {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the registry zone for mirrors and secondaries: a BIND master file or rbldnsd data.",
            discussion: """
                Deterministic: the same registry state gives the same bytes. The SOA serial is the \
                registry's change counter, so it increases with every import, suspension or \
                reinstatement. rbldnsd data (serve it as ZONE:combined:FILE) holds one line per \
                network; a BIND file holds one wildcard per octet- or nibble-aligned network and expands \
                other prefixes to the next aligned length (at most --max-names per network), so that \
                longest-prefix answers hold as in serve-dns.
                """
        )

        @OptionGroup var global: GlobalOptions
        @Option(help: "bind or rbldnsd.") var format: String
        @Option(help: "The zone's name.") var zone = "reg.example.org"
        @Option(help: "Write here instead of standard output.") var out: String?
        @Option(help: "The registry as of this time (ISO 8601; default now).") var at: String?
        @Option(help: "TTL of answers, seconds.") var ttl: UInt32 = 300
        @Option(name: .customLong("negative-ttl"), help: "TTL of NXDOMAIN answers (the SOA minimum), seconds.") var negativeTTL: UInt32 = 60
        @Option(name: .customLong("ns"), help: "Name server: NAME or NAME=ADDR, repeatable (default ns.ZONE; the first is the SOA's MNAME); an in-zone name needs its address (glue).")
        var nameServers: [String] = []
        @Option(name: .customLong("max-names"), help: "BIND: most names one network may expand to.") var maxNames = 65_536

        func validate() throws {
            guard ZoneExport.Format(rawValue: format) != nil else { throw ValidationError("--format must be bind or rbldnsd") }
            guard let name = DNSName(zone), !name.labels.isEmpty else { throw ValidationError("--zone '\(zone)' is not a domain name") }
            for ns in nameServers where NameServer.parse(ns) == nil { throw ValidationError("--ns '\(ns)' must be NAME or NAME=ADDR") }
            if let at, ISOTime.parse(at) == nil { throw ValidationError("--at '\(at)' is not an ISO 8601 time") }
            guard maxNames >= 1 else { throw ValidationError("--max-names must be 1 or more") }
        }

        func run() throws {
            let store = try global.registryStore()
            let time = at.flatMap(ISOTime.parse) ?? WallClock.system.nowMillis()
            let records = try store.currentRecords(at: time)
            let serial = UInt32(truncatingIfNeeded: max(1, try store.latestRecordID()))
            let name = DNSName(zone)!
            let export = ZoneExport(
                zone: name, ttl: ttl, negativeTTL: negativeTTL, nameServers: NameServer.list(nameServers, zone: name), serial: serial, maxNamesPerNetwork: maxNames)
            let text: String
            do {
                text = ZoneExport.Format(rawValue: format) == .bind ? try export.bind(records) : export.rbldnsd(records)
            } catch {
                Terminal.reportError(error.description)
                throw ExitStatus.usage
            }
            if let out {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
                Terminal.error("abuse-ingest: \(records.count) networks written to \(out) (\(format), serial \(serial))")
            } else {
                print(text, terminator: "")
            }
        }
    }
}
