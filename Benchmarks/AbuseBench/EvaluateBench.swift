import ArgumentParser
import Demo
import EnforcementEngine
import Foundation
import GRDB
import LogParsers
import Primitives
import RegistryClient

extension AbuseBench {
    struct EvaluateBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "evaluate",
            abstract: "abuse-ingest evaluate over the aggregates of 1,000,000 clients from 20 reporters over 7 days.",
            discussion: """
                Target (issue 5): <= 10 s and <= 1 GB peak RSS. With --postgres, the same aggregates in PostgreSQL, evaluated \
                there too; target (issue 17): <= 2x the SQLite time.
                """
        )

        @Option(help: "Distinct clients.") var clients = 1_000_000
        @Option(help: "Reporters (two per organisation).") var reporters = 20
        @Option(help: "Days of aggregates.") var days = 7
        @Option(help: "Working folder.") var dir = "bench-out/evaluate"
        @Option(help: "The abuse-ingest binary.") var binary = ".build/release/abuse-ingest"
        @Option(help: "The rules folder.") var rules = "rules"
        @Option(help: "A PostgreSQL server (postgres://USER@HOST[:PORT]/DB) to evaluate the same aggregates on (in a database abuse_bench_evaluate).")
        var postgres: String?

        func run() throws {
            try? FileManager.default.removeItem(atPath: dir)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let db = "\(dir)/abuse-ingest.db"
            let asOf = try generate(into: EngineStore(database: try DatabaseConnection.open(path: db)))
            let sqlite = try evaluate(db, asOf: asOf)
            print("targets: <= 10 s: \(sqlite.seconds <= 10 ? "MET" : "MISSED"); <= 1 GB: \(sqlite.peakRSS <= 1_000_000_000 ? "MET" : "MISSED")")
            guard let postgres else { return }
            let url = try BenchPostgres.fresh(postgres, name: "abuse_bench_evaluate")
            print("the same aggregates in PostgreSQL (\(url))…")
            _ = try generate(into: EngineStore(location: url), quiet: true)
            let onPostgres = try evaluate(url, asOf: asOf)
            let ratio = onPostgres.seconds / sqlite.seconds
            print(String(format: "postgres / sqlite: %.2fx; target <= 2x: %@", ratio, ratio <= 2 ? "MET" : "MISSED"))
        }

        /// Runs `evaluate` on `db` and prints its time.
        func evaluate(_ db: String, asOf: Int64) throws -> Measurement {
            let run = try Measurement.best(of: 1, [binary, "evaluate", "--db", db, "--data-dir", dir, "--rules", rules, "--as-of", ISOTime.format(millis: asOf, fraction: false)])
            print(String(format: "evaluate (%@): %.2f s, peak RSS %.0f MB", db.hasPrefix("postgres") ? "postgres" : "sqlite", run.seconds, Double(run.peakRSS) / 1e6))
            return run
        }

        /// Writes the registry, the reporters and the aggregates into `store`; returns the
        /// evaluation time.
        func generate(into store: EngineStore, quiet: Bool = false) throws -> Int64 {
            let registry = SyntheticRegistry(networks: 100_000)
            let csv = try RegistryCSV(bytes: Array(registry.csv(registry.entries()).utf8))
            _ = try store.registry.importRows(csv.rows, file: "registry.csv", sha256: "bench", now: 0)
            for r in 0..<reporters {
                try store.addReporter(Reporter(id: "isp-\(r)", name: "ISP \(r)", organisation: "org-\(r / 2)", createdAt: 0))
            }
            let firstDay = ISOTime.parse("2026-11-22T00:00:00Z")! / 86_400_000
            let asOf = (firstDay + Int64(days)) * 86_400_000
            if !quiet { print("generating aggregates of \(clients) clients, \(reporters) reporters, \(days) days…") }
            // Each client shows up at 2 reporters on 2 days each (drawn by a hash of the client
            // and the slot); one segment per reporter and day, as nightly shipments give.
            func mix(_ k: Int, _ salt: UInt64) -> UInt64 {
                var rng = SplitMix64(seed: UInt64(k) &* 0x9E37_79B9_7F4A_7C15 ^ salt)
                return rng.next()
            }
            var buckets = [[(client: UInt32, slot: UInt8)]](repeating: [], count: reporters * days)
            for k in 0..<clients {
                for slot in 0..<4 {
                    let reporter = Int(mix(k, UInt64(slot / 2) &+ 1) % UInt64(reporters))
                    let day = Int(mix(k, UInt64(slot) &+ 101) % UInt64(days))
                    let b = reporter * days + day
                    if buckets[b].last?.client != UInt32(k) { buckets[b].append((UInt32(k), UInt8(slot))) }
                }
            }
            var rows = 0
            for reporter in 0..<reporters {
                for d in 0..<days {
                    let day = firstDay + Int64(d)
                    var records: [SegmentRecord] = []
                    for (k, slot) in buckets[reporter * days + d] {
                        let ip = IPAddress(v4: 0x6440_0000 + k * 4)
                        let heavy = k % 997 == 0  // a few attackers that cross the thresholds
                        let r = mix(Int(k), 1_000 + UInt64(slot))
                        let hour = UInt8(r % 24)
                        let status: UInt8 = k < 400_000 ? 0 : 3
                        let entries: [DayCounts.Entry] = [
                            .init(hourOfDay: hour, kind: EventKind.connect.rawValue, reason: 255, status: status, count: 1 + Int((r >> 8) % 20)),
                            .init(hourOfDay: hour, kind: EventKind.rejected.rawValue, reason: RejectReason.unknownRecipient.rawValue, status: status, count: heavy ? 300 : Int((r >> 16) % 5)),
                            .init(hourOfDay: hour, kind: EventKind.messageAccepted.rawValue, reason: 255, status: status, count: Int((r >> 24) % 8)),
                        ].filter { $0.count > 0 }.sorted()
                        let first = day * 86_400_000 + Int64(hour) * 3_600_000
                        records.append(SegmentRecord(key: Array(IPKey.bytes(ip)), day: Int32(day), first: first, last: first + 60_000, counts: entries, samples: []))
                    }
                    rows += records.count
                    let name = "isp-\(reporter)-\(ISOTime.format(millis: day * 86_400_000, fraction: false).prefix(10)).log.gz"
                    // A stand-in file identity (no file exists): the name's bytes as 64 hex digits.
                    let sha = Digest.hex(Array(name.utf8.prefix(32)) + Array(repeating: 0, count: 32 - min(32, name.utf8.count)))
                    let shipment = Shipment(
                        reporterID: "isp-\(reporter)", sha256: sha, fileName: name, status: .ingested,
                        receivedAt: (day + 1) * 86_400_000, bytes: 0, lines: records.count, events: records.count, skipped: 0, unparsed: 0,
                        firstEvent: day * 86_400_000, lastEvent: (day + 1) * 86_400_000 - 1, futureEvents: 0, distantEvents: 0, gapHours: 0, error: nil)
                    try store.commit(shipment, segment: try EncodedSegment(records: records))
                }
            }
            // A store at rest: the write-ahead log folded into the database, as after ingest.
            if case .sqlite(let pool) = store.sql { _ = try pool.writeWithoutTransaction { try $0.checkpoint(.truncate) } }
            if !quiet { print("\(rows) client-day rows; evaluating as of \(ISOTime.format(millis: asOf, fraction: false))") }
            return asOf
        }
    }
}
