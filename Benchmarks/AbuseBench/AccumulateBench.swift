import ArgumentParser
import Demo
import EnforcementEngine
import Foundation
import GRDB
import LogParsers
import Primitives
import RegistryClient

extension AbuseBench {
    struct AccumulateBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "accumulate",
            abstract: "Segments accumulating night after night: lookup and evaluation cost as a store grows (issue 17's simulation).",
            discussion: """
                Commits one small shipment per reporter and night (one segment each, as nightly \
                shipments give) for --nights nights, and at checkpoints measures `ip show` (the real \
                process, best of 3; its lookup reads every segment), `evaluate --dry-run` over the \
                last 7 days (the real process), and the database size. The same shipments go to a \
                second store that is compacted every night as `serve` does it (`compact_at`: the weeks \
                that ended two days before merged, one segment per reporter and week), measured the \
                same way. Prints a table, writes it as CSV, and draws it as an SVG (--svg).
                """
        )

        @Option(help: "Reporters, each shipping every night.") var reporters = 100
        @Option(help: "Nights.") var nights = 365
        @Option(help: "Clients per shipment.") var clients = 200
        @Option(help: "Distinct clients in all (each shipment draws from them).") var pool = 50_000
        @Option(help: "Working folder.") var dir = "bench-out/accumulate"
        @Option(help: "The abuse-ingest binary.") var binary = ".build/release/abuse-ingest"
        @Option(help: "The rules folder.") var rules = "rules"
        @Option(help: "Draw the figures as an SVG here.") var svg: String?

        /// One store at one checkpoint.
        struct Figures {
            var segments: Int
            var lookup: Double
            var evaluate: Double
            var megabytes: Double
        }

        struct Point {
            var nights: Int
            var plain: Figures
            var compacted: Figures
            /// Compaction time so far (all nights).
            var compactionSeconds: Double
        }

        func measure(_ store: EngineStore, db: String, probe: IPAddress, day: Int64) throws -> Figures {
            _ = try store.database.writeWithoutTransaction { try $0.checkpoint(.truncate) }
            let show = try Measurement.best(of: 3, [binary, "ip", "show", probe.description, "--db", db, "--json"])
            let asOf = ISOTime.format(millis: (day + 1) * 86_400_000, fraction: false)
            let evaluate = try Measurement.best(of: 1, [binary, "evaluate", "--db", db, "--rules", rules, "--as-of", asOf, "--dry-run"])
            let size = (try FileManager.default.attributesOfItem(atPath: db)[.size] as? Int) ?? 0
            let segments = try store.database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM segment") ?? 0 }
            return Figures(segments: segments, lookup: show.seconds, evaluate: evaluate.seconds, megabytes: Double(size) / 1e6)
        }

        func run() throws {
            try? FileManager.default.removeItem(atPath: dir)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let db = "\(dir)/abuse-ingest.db"
            let compactedDB = "\(dir)/compacted/abuse-ingest.db"
            try FileManager.default.createDirectory(atPath: "\(dir)/compacted", withIntermediateDirectories: true)
            let store = try EngineStore(database: try DatabaseConnection.open(path: db))
            let compacted = try EngineStore(database: try DatabaseConnection.open(path: compactedDB))
            let registry = SyntheticRegistry(networks: 10_000)
            let rows = try RegistryCSV(bytes: Array(registry.csv(registry.entries()).utf8)).rows
            for target in [store, compacted] {
                _ = try target.registry.importRows(rows, file: "registry.csv", sha256: "bench", now: 0)
                for r in 0..<reporters {
                    try target.addReporter(Reporter(id: "isp-\(r)", name: "ISP \(r)", organisation: "org-\(r)", createdAt: 0))
                }
            }
            var compactionSeconds = 0.0
            let firstDay = ISOTime.parse("2025-12-01T00:00:00Z")! / 86_400_000
            let checkpoints = Set([1, 7, 30, 60, 90, 120, 180, 240, 300, 365, nights].filter { $0 <= nights })
            let probe = SyntheticShipment.probe(pool: pool)
            print("accumulate: \(reporters) reporters x \(nights) nights, \(clients) clients a shipment from \(pool); checkpoints at nights \(checkpoints.sorted())")
            print("              without compaction                          compacted every night")
            print("nights  segments  ip show (s)  evaluate (s)  MB    | segments  ip show (s)  evaluate (s)  MB    compaction so far (s)")
            var points: [Point] = []
            for night in 0..<nights {
                let day = firstDay + Int64(night)
                for reporter in 0..<reporters {
                    let (shipment, segment) = try SyntheticShipment.make(
                        reporter: "isp-\(reporter)", name: "isp-\(reporter)-\(night).log.gz", seed: UInt64(night) &* 1_000_003 &+ UInt64(reporter), day: day,
                        clients: clients, pool: pool)
                    try store.commit(shipment, segment: segment)
                    try compacted.commit(shipment, segment: segment)
                }
                // The next morning's compaction: the weeks that ended two days before.
                let started = Date()
                _ = try compacted.compact(beforeDay: day + 1 - Enforcement.compactionGraceDays)
                compactionSeconds += Date().timeIntervalSince(started)
                guard checkpoints.contains(night + 1) else { continue }
                let point = Point(
                    nights: night + 1, plain: try measure(store, db: db, probe: probe, day: day), compacted: try measure(compacted, db: compactedDB, probe: probe, day: day),
                    compactionSeconds: compactionSeconds)
                points.append(point)
                print(
                    String(
                        format: "%6d  %8d  %11.3f  %12.2f  %5.1f | %8d  %11.3f  %12.2f  %5.1f  %8.1f", point.nights, point.plain.segments, point.plain.lookup,
                        point.plain.evaluate, point.plain.megabytes, point.compacted.segments, point.compacted.lookup, point.compacted.evaluate, point.compacted.megabytes,
                        point.compactionSeconds))
            }
            var csv = "nights,segments,ip_show_seconds,evaluate_seconds,database_mb,compacted_segments,compacted_ip_show_seconds,compacted_evaluate_seconds,compacted_database_mb,compaction_seconds\n"
            for p in points {
                csv += String(
                    format: "%d,%d,%.4f,%.3f,%.1f,%d,%.4f,%.3f,%.1f,%.2f\n", p.nights, p.plain.segments, p.plain.lookup, p.plain.evaluate, p.plain.megabytes,
                    p.compacted.segments, p.compacted.lookup, p.compacted.evaluate, p.compacted.megabytes, p.compactionSeconds)
            }
            try csv.write(toFile: "\(dir)/accumulate.csv", atomically: true, encoding: .utf8)
            print("table: \(dir)/accumulate.csv")
            if let svg {
                let chart = SVGChart(
                    title: "\(reporters) reporters, one shipment each a night (\(clients) clients)",
                    panels: [
                        .init(
                            label: "ip show, s",
                            series: [
                                .init(name: "without compaction", values: points.map { (Double($0.nights), $0.plain.lookup) }),
                                .init(name: "compacted weekly", values: points.map { (Double($0.nights), $0.compacted.lookup) }),
                            ]),
                        .init(
                            label: "evaluate (last 7 days), s",
                            series: [
                                .init(name: "without compaction", values: points.map { (Double($0.nights), $0.plain.evaluate) }),
                                .init(name: "compacted weekly", values: points.map { (Double($0.nights), $0.compacted.evaluate) }),
                            ]),
                        .init(
                            label: "segments in the store",
                            series: [
                                .init(name: "without compaction", values: points.map { (Double($0.nights), Double($0.plain.segments)) }),
                                .init(name: "compacted weekly", values: points.map { (Double($0.nights), Double($0.compacted.segments)) }),
                            ]),
                    ],
                    xLabel: "nights")
                try chart.render().write(toFile: svg, atomically: true, encoding: .utf8)
                print("chart: \(svg)")
            }
        }
    }
}
