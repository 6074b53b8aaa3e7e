import ArgumentParser
import EnforcementEngine
import Foundation
import LogParsers
import Primitives

extension AbuseIngestCommand {
    struct Reporters: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reporters", 
            abstract: "Who ships logs: add reporters, list them, see their last shipments.",
            subcommands: [Add.self, List.self, Status.self, Token.self]
        )

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a reporter (an ISP's mail platform). Only known reporters can ingest.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "Reporter id (letters, digits, -, _, .): also its spool folder name.") var id: String
            @Option(help: "Display name.") var name: String
            @Option(help: "Organisation (default: the id). Reporters of one organisation are not independent witnesses.") var organisation: String?
            @Option(help: "IANA zone of the reporter's zone-less log times.") var timezone: String = "UTC"
            @Option(name: .customLong("unparsed-threshold"), help: "Share of unparsed lines (0–1) above which a file is quarantined as format drift.")
            var unparsedThreshold: Double = Reporter.defaultUnparsedThreshold

            func validate() throws {
                guard Reporter.isValidID(id) else { throw ValidationError(EngineError.invalidReporterID(id).description) }
                guard TimeZone(identifier: timezone) != nil else { throw ValidationError("--timezone '\(timezone)' is not an IANA time zone name") }
                guard (0...1).contains(unparsedThreshold) else { throw ValidationError("--unparsed-threshold must be between 0 and 1") }
                guard !name.isEmpty, name.count <= 200 else { throw ValidationError("--name must be 1–200 characters") }
            }

            func run() throws {
                let store = try global.engineStore()
                do {
                    try store.addReporter(Reporter(id: id, name: name, organisation: organisation, timezone: timezone, unparsedThreshold: unparsedThreshold, createdAt: WallClock.system.nowMillis()))
                } catch let error as EngineError {
                    Terminal.reportError(error.description)
                    throw ExitStatus.usage
                }
                print("reporter \(id) added")
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List reporters.")
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Print a JSON array.") var json = false

            func run() throws {
                let reporters = try global.engineStore().reporters()
                if json {
                    print(try JSONText.encode(reporters.map { ["id": $0.id, "name": $0.name, "organisation": $0.organisation, "timezone": $0.timezone] }))
                    return
                }
                for r in reporters { print("\(r.id)\t\(r.organisation)\t\(r.timezone)\t\(r.name)") }
            }
        }

        struct Status: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "status", 
                abstract: "Last shipments of each reporter with their quality figures; flags reporters that missed a night.")
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Print JSON.") var json = false
            @Option(help: "Shipments shown per reporter.") var last = 5
            @Option(name: .customLong("as-of"), help: "Judge missed nights as of this time (ISO 8601; default now).") var asOf: String?
            @Argument(help: "One reporter (default: all).") var id: String?

            func validate() throws {
                if let asOf, ISOTime.parse(asOf) == nil { throw ValidationError("--as-of '\(asOf)' is not an ISO 8601 time") }
                guard (1...1000).contains(last) else { throw ValidationError("--last must be between 1 and 1000") }
            }

            func run() throws {
                let store = try global.engineStore()
                let report: [ReporterStatus]
                do {
                    report = try store.reporterStatuses(id: id, last: last, asOf: asOf.flatMap(ISOTime.parse) ?? WallClock.system.nowMillis())
                } catch let error as EngineError {
                    Terminal.reportError(error.description)
                    throw ExitStatus.usage
                }
                if json {
                    print(try JSONText.encode(report))
                    return
                }
                for r in report {
                    var flags: [String] = []
                    for flag in r.flags {
                        switch flag {
                        case .noShipment: flags.append("NO SHIPMENT YET")
                        case .missedNight: flags.append("MISSED \(r.missedNights ?? 0) night(s)")
                        case .contradicted: flags.append("FLAGGED: alone accused \(r.contradicted) subject(s) that other reporters saw behave well")
                        }
                    }
                    print("\(r.reporter.id) (\(r.reporter.organisation))" + flags.map { "  " + $0 }.joined())
                    for s in r.shipments {
                        let range = [s.firstEvent, s.lastEvent].compactMap { $0 }.joined(separator: " to ")
                        print(
                            "  \(s.received) \(s.status) \(s.file): \(s.lines) lines, \(s.events) events, \(s.skipped) skipped, \(s.unparsed) unparsed (\(String(format: "%.1f", s.unparsedShare * 100)) %), \(range), \(s.futureEvents) in the future, \(s.distantEvents) over a week old, \(s.gapHours) gap hours\(s.error.map { " — \($0)" } ?? "")"
                        )
                    }
                }
            }
        }
    }
}

