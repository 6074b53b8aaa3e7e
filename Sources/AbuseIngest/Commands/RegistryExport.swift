import ArgumentParser
import Foundation
import Primitives
import RegistryClient

extension AbuseIngestCommand.Registry {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export", 
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
            let serial = UInt32(truncatingIfNeeded: max(1, try store.latestRecordID()))
            let name = DNSName(zone)!
            let export = ZoneExport(
                zone: name, ttl: ttl, negativeTTL: negativeTTL, nameServers: NameServer.list(nameServers, zone: name), serial: serial, maxNamesPerNetwork: maxNames)
            // Streamed from the database to the output: memory stays flat whatever the zone's size.
            var output = try out.map { try ChunkedOutput(file: $0) } ?? ChunkedOutput()
            var networks = 0
            // Progress on a terminal only: every 50,000 networks.
            let showProgress = Terminal.stderrIsTerminal
            let registrations: ZoneExport.Registrations = { body in
                try store.forEachCurrentRecord(at: time, through: Int64(serial)) { record in
                    networks += 1
                    if showProgress, networks % 50_000 == 0 { Terminal.progress("abuse-ingest: \(networks) networks exported") }
                    try body(record)
                }
            }
            do {
                defer { if showProgress { Terminal.clearProgress() } }
                if ZoneExport.Format(rawValue: format) == .bind {
                    try export.bind(registrations) { try output.write($0) }
                } else {
                    try export.rbldnsd(registrations) { try output.write($0) }
                }
                try output.commit()
            } catch let error as ZoneExport.TooWide {
                output.abandon()
                Terminal.reportError(error.description + (out == nil ? " (the output above is incomplete)" : ""))
                throw ExitStatus.usage
            } catch {
                output.abandon()
                throw error
            }
            if let out { Terminal.error("abuse-ingest: \(networks) networks written to \(out) (\(format), serial \(serial))") }
        }
    }
}

/// Standard output, or a file written beside its final name and renamed into place once
/// complete (a failed export leaves no partial file), in chunks of 64 KiB.
struct ChunkedOutput {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private let file: (final: String, temporary: String)?

    init() {
        handle = FileHandle.standardOutput
        file = nil
    }

    init(file path: String) throws {
        let temporary = path + ".partial-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw ValidationError("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
        file = (path, temporary)
    }

    mutating func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 65_536 { try flush() }
    }

    private mutating func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is left; a file is synced and renamed to its name.
    mutating func commit() throws {
        try flush()
        guard let file else { return }
        try handle.synchronize()
        try handle.close()
        guard rename(file.temporary, file.final) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(file.temporary)
            throw ValidationError("cannot rename \(file.temporary) to \(file.final): \(reason)")
        }
    }

    /// Removes a file's partial content; standard output keeps what was written.
    mutating func abandon() {
        if let file {
            try? handle.close()
            unlink(file.temporary)
        } else {
            try? flush()
        }
    }
}
