import Demo
import EnforcementEngine
import ArgumentParser
import Foundation
import Glibc
import LogParsers
import Primitives
import RegistryClient

extension AbuseBench {
    struct RegistryBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "registry",
            abstract: "Registry import, in-memory index and serve-dns against rbldnsd (dnsperf).",
            discussion: """
                Targets (issue 3): import of 1,000,000 rows well under a minute; index >= 5 M lookups/s \
                single-threaded over 1,000,000 networks with history, <= 200 bytes per network, built \
                in <= 2 s; serve-dns >= 1.0x rbldnsd's queries/s with dnsperf on the same query file \
                (unpinned), and >= 1.2x rbldnsd per core (issue 16): dnsperf pinned to core 0, each server \
                alone pinned to core 1 (taskset), in the same run, judged by core 1's busy time at one fixed \
                query rate (--dns-rate), the servers taking turns over --rounds rounds; the AXFR of the whole zone with the \
                server's peak memory growing by less than 64 MB (issue 16), and `registry export`.
                """
        )

        @Option(help: "Networks in the registry.") var networks = 1_000_000
        @Option(help: "Working folder.") var dir = "bench-out/registry"
        @Option(help: "The abuse-ingest binary.") var binary = ".build/release/abuse-ingest"
        @Option(help: "Seconds per dnsperf run.") var seconds = 10
        @Option(help: "Lookups for the index measurement.") var lookups = 10_000_000
        @Option(help: "Queries per second for the per-core cost at a fixed rate (below what either server answers on one core).") var dnsRate = 150_000
        @Option(help: "Rounds of the fixed-rate runs (the servers take turns in each).") var rounds = 3
        @Flag(help: "Skip the DNS comparison (no dnsperf or rbldnsd).") var skipDNS = false
        @Option(
            help: """
                A PostgreSQL server (postgres://USER@HOST[:PORT]/DB) to run the same imports and index build on, \
                beside SQLite's; the database abuse_bench_registry is made anew there.
                """)
        var postgres: String?

        func run() throws {
            try? FileManager.default.removeItem(atPath: dir)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let registry = SyntheticRegistry(networks: networks)
            let first = registry.entries()
            let second = registry.entries(changedFraction: 0.1, changeSeed: 99)
            try registry.csv(first).write(toFile: "\(dir)/registry-1.csv", atomically: false, encoding: .utf8)
            try registry.csv(second).write(toFile: "\(dir)/registry-2.csv", atomically: false, encoding: .utf8)
            let db = "\(dir)/registry.db"
            print("registry: \(first.count) networks (\(networks / 100) IPv6), second import changes ~10 %")

            let import1 = try Measurement.best(of: 1, [binary, "registry", "import", "--db", db, "\(dir)/registry-1.csv"])
            let import2 = try Measurement.best(of: 1, [binary, "registry", "import", "--db", db, "\(dir)/registry-2.csv"])
            let reimport = try Measurement.best(of: 1, [binary, "registry", "import", "--db", db, "\(dir)/registry-2.csv"])
            print(String(format: "import of %d rows: %.1f s (%.0f rows/s, peak RSS %.0f MB); second file with changes: %.1f s; same file again: %.1f s", first.count, import1.seconds, Double(first.count) / import1.seconds, Double(import1.peakRSS) / 1e6, import2.seconds, reimport.seconds))

            // The in-memory index, in this process.
            let store = try RegistryStore(database: try DatabaseConnection.open(path: db))
            let buildStart = DispatchTime.now()
            let index = try store.loadIndex()
            let build = Self.seconds(since: buildStart)
            var rng = SplitMix64(seed: 3)
            let count = lookups
            var addresses = [IPAddress](repeating: IPAddress(v4: 0), count: 1 << 20)
            for k in addresses.indices {
                let roll = rng.next()
                addresses[k] = roll & 1 == 0 ? IPAddress(v4: 0x6440_0000 + UInt32(truncatingIfNeeded: roll >> 8) % UInt32(4 * networks)) : IPAddress(v4: 0xC612_0000 | UInt32(truncatingIfNeeded: roll >> 8) & 0x1_FFFF)
            }
            let times = (0..<1024).map { _ in ISOTime.parse("2026-01-01T00:00:00Z")! + Int64(rng.next() % 31_536_000_000) }
            var tally = [0, 0, 0, 0, 0]
            let lookupStart = DispatchTime.now()
            for k in 0..<count {
                let status = index.status(of: addresses[k & (addresses.count - 1)], at: times[k & 1023])
                switch status {
                case .active: tally[0] += 1
                case .suspended: tally[1] += 1
                case .revoked: tally[2] += 1
                case .unregistered: tally[3] += 1
                case .unknown: tally[4] += 1
                }
            }
            let lookupSeconds = Self.seconds(since: lookupStart)
            let perNetwork = Double(index.memoryBytes) / Double(index.networkCount)
            print(String(format: "index: %d networks, %d history rows, built in %.2f s; %.1f M lookups/s (single thread, %d lookups: %d active, %d suspended, %d revoked, %d unregistered); %.0f bytes/network held (arrays and strings of the index)", index.networkCount, index.historyCount, build, Double(count) / lookupSeconds / 1e6, count, tally[0], tally[1], tally[2], tally[3], perNetwork))

            if let postgres {
                try Self.comparePostgres(
                    postgres, binary: binary, files: ["\(dir)/registry-1.csv", "\(dir)/registry-2.csv"], sqlite: (import1.seconds, import2.seconds, reimport.seconds, build),
                    index: index)
            }

            var dnsLine = "dns: skipped"
            var ratio1 = 0.0
            var perCore: DNSPerCore.Comparison?
            if !skipDNS {
                for (program, package) in [("/usr/bin/dnsperf", "dnsperf"), ("/usr/sbin/rbldnsd", "rbldnsd"), ("/usr/bin/taskset", "util-linux")]
                where !FileManager.default.isExecutableFile(atPath: program) {
                    throw BenchError("\(program) is missing: apt-get install \(package) (or pass --skip-dns)")
                }
                let data = "\(dir)/rbldnsd"
                try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: data)
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
                try registry.rbldnsdData(second).write(toFile: "\(data)/zone", atomically: false, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: "\(data)/zone")
                // Half listed, half not.
                var queries = ""
                let listed = second.filter { !$0.network.contains(":") }
                for k in 0..<200_000 {
                    if k & 1 == 0 {
                        let sample = listed[Int(rng.next() % UInt64(listed.count))].sample
                        queries += sample.split(separator: ".").reversed().joined(separator: ".") + ".reg.example.org A\n"
                    } else {
                        let v = 0xC612_0000 | UInt32(truncatingIfNeeded: rng.next()) & 0x1_FFFF
                        queries += SyntheticRegistry.dotted(v).split(separator: ".").reversed().joined(separator: ".") + ".reg.example.org A\n"
                    }
                }
                try queries.write(toFile: "\(dir)/queries.txt", atomically: false, encoding: .utf8)
                let rbldnsd = ["/usr/sbin/rbldnsd", "-n", "-b", "127.0.0.1/53531", "-w", data, "reg.example.org:ip4set:zone"]
                func ours(_ port: Int, threads: Int?) -> [String] {
                    [binary, "registry", "serve-dns", "--db", db, "--listen", "127.0.0.1:\(port)", "--zone", "reg.example.org"] + (threads.map { ["--threads", String($0)] } ?? [])
                }
                let queryFile = "\(dir)/queries.txt"
                // Unpinned: the servers and dnsperf share the cores as the scheduler likes.
                let rbl = try Self.dnsperf(server: rbldnsd, port: 53531, queries: queryFile, seconds: seconds, dir: dir)
                let ours1 = try Self.dnsperf(server: ours(53532, threads: 1), port: 53532, queries: queryFile, seconds: seconds, dir: dir)
                let ours2 = try Self.dnsperf(server: ours(53533, threads: 2), port: 53533, queries: queryFile, seconds: seconds, dir: dir)
                ratio1 = ours1.qps / rbl.qps
                dnsLine = String(
                    format: "dns unpinned (dnsperf -c 4 -q 200, %d s, same 200,000-query file, half listed): rbldnsd %.0f q/s; serve-dns --threads 1 %.0f q/s (%.2fx); --threads 2 %.0f q/s (%.2fx)",
                    seconds, rbl.qps, ours1.qps, ratio1, ours2.qps, ours2.qps / rbl.qps)
                // Pinned: dnsperf alone on core 0, each server alone on core 1. When dnsperf's
                // core is the limit, the servers' q/s are alike and say nothing of the servers:
                // the cost per answer at a fixed rate is then the per-core figure.
                if ProcessInfo.processInfo.activeProcessorCount >= 2 {
                    let cost = DNSCoreCost(rate: dnsRate, rounds: rounds, seconds: seconds, queries: queryFile, dir: dir)
                    perCore = try DNSPerCore(cost: cost, rbldnsd: rbldnsd, ours: { port, threads, xdp in ours(port, threads: threads) + (xdp.map { ["--xdp", $0] } ?? []) })
                        .compare()
                    dnsLine += "\n" + perCore!.text
                } else {
                    dnsLine += "\ndns pinned: one core only, not measured"
                }
            }
            print(dnsLine)
            let transfer = try Self.transfer(binary: binary, db: db, dir: dir)
            print(transfer.line)
            let importOK = import1.seconds < 30
            print("targets: import well under a minute: \(importOK ? "MET" : "MISSED"); >= 5 M lookups/s: \(Double(count) / lookupSeconds >= 5e6 ? "MET" : "MISSED"); <= 200 bytes/network: \(perNetwork <= 200 ? "MET" : "MISSED"); built in <= 2 s: \(build <= 2 ? "MET" : "MISSED"); transfer with flat memory (growth under 64 MB): \(transfer.flat ? "MET" : "MISSED"); serve-dns >= 1.0x rbldnsd: \(skipDNS ? "SKIPPED" : (ratio1 >= 1.0 ? "MET" : "MISSED")); serve-dns >= 1.2x rbldnsd per core (pinned, fixed rate): \(Self.perCoreVerdict(perCore))")
        }

        /// The whole zone out of `serve-dns` by AXFR (dig), and out of `registry export`:
        /// times, sizes, and how far the server's peak memory rose above its resident size
        /// with the registry loaded (the peak is reset just before the transfer).
        static func transfer(binary: String, db: String, dir: String) throws -> (line: String, flat: Bool) {
            let port = 53536
            let process = try serving([binary, "registry", "serve-dns", "--db", db, "--listen", "127.0.0.1:\(port)", "--zone", "reg.example.org", "--allow-transfer", "127.0.0.1"], port: port)
            defer { stop(process) }
            let pid = process.processIdentifier
            func kB(_ field: String) throws -> Int {
                let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
                let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
                return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
            }
            let before = try kB("VmRSS")
            try "5".write(toFile: "/proc/\(pid)/clear_refs", atomically: false, encoding: .utf8)
            let out = "\(dir)/axfr.txt"
            let axfr = try Measurement.run(["dig", "@127.0.0.1", "-p", String(port), "+tcp", "+time=300", "reg.example.org", "AXFR"], stdout: out)
            let peak = try kB("VmHWM")
            // dig's summary: ";; XFR size: N records (messages M, bytes B)".
            let text = try String(contentsOfFile: out, encoding: .utf8)
            let size = text.split(separator: "\n").last { $0.contains("XFR size") }.map { String($0.dropFirst(3)) } ?? "no XFR size (dig exited \(axfr.status))"
            let growth = Double(peak - before) / 1024
            let bind = try Measurement.run([binary, "registry", "export", "--db", db, "--format", "bind", "--out", "\(dir)/zone.bind"])
            let bindBytes = (try? FileManager.default.attributesOfItem(atPath: "\(dir)/zone.bind")[.size] as? Int) ?? 0
            let line = String(
                format: "transfer: AXFR of the whole zone in %.1f s (%@); serve-dns resident %.0f MB with the registry loaded, peak +%.1f MB during the transfer\nexport: BIND file of %.0f MB in %.1f s, peak RSS %.0f MB",
                axfr.seconds, size, Double(before) / 1024, growth, Double(bindBytes) / 1e6, bind.seconds, Double(bind.peakRSS) / 1e6)
            return (line, axfr.status == 0 && text.contains("XFR size") && growth < 64)
        }

        /// Starts a DNS server (`arguments`, through env) and returns once dig gets its SOA on
        /// `port` (rbldnsd and serve-dns load their data first).
        static func serving(_ arguments: [String], port: Int) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<600 {
                if try Measurement.run(["dig", "@127.0.0.1", "-p", String(port), "+time=1", "+tries=1", "reg.example.org", "SOA"]).status == 0 { return process }
                Thread.sleep(forTimeInterval: 0.1)
            }
            stop(process)
            throw BenchError("\(arguments[0]) did not start on port \(port)")
        }

        /// SIGTERM, then SIGKILL after 3 s.
        static func stop(_ process: Process) {
            kill(process.processIdentifier, SIGTERM)
            for _ in 0..<300 where process.isRunning { Thread.sleep(forTimeInterval: 0.01) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }

        /// Figures of rounds, as "a, b, c".
        /// The per-core target's verdict: met by either way of serving, each ratio given.
        static func perCoreVerdict(_ comparison: DNSPerCore.Comparison?) -> String {
            guard let comparison else { return "NOT MEASURED" }
            let sockets = String(format: "sockets %.2fx", comparison.sockets)
            guard let xdp = comparison.xdp else { return "\(comparison.sockets >= 1.2 ? "MET" : "MISSED") (\(sockets); --xdp lo not measured)" }
            return "\(max(xdp, comparison.sockets) >= 1.2 ? "MET" : "MISSED") (\(sockets), --xdp lo \(String(format: "%.2fx", xdp)))"
        }

        static func figures(_ values: [Double]) -> String { values.map { String(format: "%.0f", $0) }.joined(separator: ", ") }

        static func seconds(since start: DispatchTime) -> Double {
            Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        }

        /// Starts a server, waits for it to answer, runs dnsperf against it, stops it; q/s.
        /// What one dnsperf run measured: answers per second, and the share of one core the
        /// server used meanwhile (its user and system time over the run's wall time).
        struct Load {
            var qps: Double
            var cpu: Double
            /// Answers per second of the server process's CPU time.
            var perCore: Double
        }

        static func dnsperf(server: [String], port: Int, queries: String, seconds: Int, dir: String, client: [String] = []) throws -> Load {
            let process = try serving(server, port: port)
            defer { stop(process) }
            let out = "\(dir)/dnsperf-\(port).txt"
            let cpuBefore = cpuSeconds(process.processIdentifier)
            let start = DispatchTime.now()
            _ = try Measurement.run(client + DNSCoreCost.dnsperf(port: port, queries: queries, seconds: seconds), stdout: out)
            let wall = Self.seconds(since: start)
            let used = cpuSeconds(process.processIdentifier) - cpuBefore
            let text = try String(contentsOfFile: out, encoding: .utf8)
            let lines = text.split(separator: "\n")
            guard let line = lines.first(where: { $0.contains("Queries per second") }), let value = Double(line.split(separator: " ").last ?? ""),
                let completed = DNSCoreCost.completed(text).map(Double.init)
            else {
                throw BenchError("no dnsperf figure in \(out)")
            }
            // Answers over CPU time, not q/s over the share of wall time: dnsperf's run ends
            // with a wait for lost queries (up to 5 s), idle time that would flatter a server
            // that loses some.
            return Load(qps: value, cpu: used / wall, perCore: used > 0 ? completed / used : 0)
        }

        /// A process's user and system time so far, all threads (/proc/PID/stat).
        static func cpuSeconds(_ pid: Int32) -> Double {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return 0 }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // After the name: state is field 3, utime 14 and stime 15.
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
            return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }
    }
}

extension AbuseBench.RegistryBench {
    /// The imports and the index build of the SQLite run, again on PostgreSQL, with their
    /// ratios; the index built from PostgreSQL must equal SQLite's.
    static func comparePostgres(
        _ url: String, binary: String, files: [String], sqlite: (first: Double, second: Double, again: Double, build: Double), index: RegistrationIndex
    ) throws {
        let db = try BenchPostgres.fresh(url, name: "abuse_bench_registry")
        let first = try Measurement.best(of: 1, [binary, "registry", "import", "--db", db, files[0]])
        let second = try Measurement.best(of: 1, [binary, "registry", "import", "--db", db, files[1]])
        let again = try Measurement.best(of: 1, [binary, "registry", "import", "--db", db, files[1]])
        let store = try RegistryStore(location: db)
        let start = DispatchTime.now()
        let built = try store.loadIndex()
        let build = seconds(since: start)
        guard built.networkCount == index.networkCount, built.historyCount == index.historyCount else {
            throw BenchError("the index from PostgreSQL differs: \(built.networkCount) networks, \(built.historyCount) rows against \(index.networkCount), \(index.historyCount)")
        }
        print(
            String(
                format: "postgres (%@): import %.1f s (%.2fx SQLite's time, peak RSS %.0f MB); second file %.1f s (%.2fx); same file again %.1f s (%.2fx); index built from it in %.2f s (%.2fx), equal to SQLite's",
                db, first.seconds, first.seconds / sqlite.first, Double(first.peakRSS) / 1e6, second.seconds, second.seconds / sqlite.second, again.seconds,
                again.seconds / sqlite.again, build, build / sqlite.build))
    }
}
