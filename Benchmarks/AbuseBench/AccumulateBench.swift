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
                last 7 days (the real process), and the database size. Prints a table, writes it as \
                CSV, and draws it as an SVG (--svg). Without compaction: the store as it is today.
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

        struct Point {
            var nights: Int
            var segments: Int
            var lookup: Double
            var evaluate: Double
            var megabytes: Double
        }

        func run() throws {
            try? FileManager.default.removeItem(atPath: dir)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let db = "\(dir)/abuse-ingest.db"
            let store = try EngineStore(database: try DatabaseConnection.open(path: db))
            let registry = SyntheticRegistry(networks: 10_000)
            _ = try store.registry.importRows(try RegistryCSV(bytes: Array(registry.csv(registry.entries()).utf8)).rows, file: "registry.csv", sha256: "bench", now: 0)
            for r in 0..<reporters {
                try store.addReporter(Reporter(id: "isp-\(r)", name: "ISP \(r)", organisation: "org-\(r)", createdAt: 0))
            }
            let firstDay = ISOTime.parse("2025-12-01T00:00:00Z")! / 86_400_000
            let checkpoints = Set([1, 7, 30, 60, 90, 120, 180, 240, 300, 365, nights].filter { $0 <= nights })
            let probe = IPAddress(v4: 0x6440_0000 + 4 * UInt32(pool / 2))
            print("accumulate: \(reporters) reporters x \(nights) nights, \(clients) clients a shipment from \(pool); checkpoints at nights \(checkpoints.sorted())")
            print("nights  segments  ip show (s)  evaluate 7 d (s)  database (MB)")
            var points: [Point] = []
            var segments = 0
            for night in 0..<nights {
                let day = firstDay + Int64(night)
                for reporter in 0..<reporters {
                    var rng = SplitMix64(seed: UInt64(night) &* 1_000_003 &+ UInt64(reporter))
                    var picked = Set<UInt32>([UInt32(pool / 2)])  // the probed client is everywhere
                    while picked.count < clients { picked.insert(UInt32(rng.next() % UInt64(pool))) }
                    let records = picked.sorted().map { k -> SegmentRecord in
                        let hour = UInt8((UInt64(k) &+ UInt64(night)) % 24)
                        let first = day * 86_400_000 + Int64(hour) * 3_600_000
                        let entries: [DayCounts.Entry] = [
                            .init(hourOfDay: hour, kind: EventKind.connect.rawValue, reason: 255, status: 3, count: 1 + Int(k % 7)),
                            .init(hourOfDay: hour, kind: EventKind.rejected.rawValue, reason: RejectReason.unknownRecipient.rawValue, status: 3, count: k % 97 == 0 ? 40 : Int(k % 3)),
                        ].filter { $0.count > 0 }.sorted()
                        return SegmentRecord(key: Array(IPKey.bytes(IPAddress(v4: 0x6440_0000 + k * 4))), day: Int32(day), first: first, last: first + 60_000, counts: entries, samples: [])
                    }
                    let name = "isp-\(reporter)-\(night).log.gz"
                    var identity = Array(name.utf8.prefix(32))
                    identity += Array(repeating: 0, count: 32 - identity.count)
                    let shipment = Shipment(
                        reporterID: "isp-\(reporter)", sha256: Digest.hex(identity), fileName: name, status: .ingested, receivedAt: (day + 1) * 86_400_000, bytes: 0,
                        lines: records.count, events: records.count, skipped: 0, unparsed: 0, firstEvent: day * 86_400_000, lastEvent: (day + 1) * 86_400_000 - 1,
                        futureEvents: 0, distantEvents: 0, gapHours: 0, error: nil)
                    try store.commit(shipment, segment: try EncodedSegment(records: records))
                    segments += 1
                }
                guard checkpoints.contains(night + 1) else { continue }
                _ = try store.database.writeWithoutTransaction { try $0.checkpoint(.truncate) }
                let show = try Measurement.best(of: 3, [binary, "ip", "show", probe.description, "--db", db, "--json"])
                let asOf = ISOTime.format(millis: (day + 1) * 86_400_000, fraction: false)
                let evaluate = try Measurement.best(of: 1, [binary, "evaluate", "--db", db, "--rules", rules, "--as-of", asOf, "--dry-run"])
                let size = (try FileManager.default.attributesOfItem(atPath: db)[.size] as? Int) ?? 0
                let point = Point(nights: night + 1, segments: segments, lookup: show.seconds, evaluate: evaluate.seconds, megabytes: Double(size) / 1e6)
                points.append(point)
                print(String(format: "%6d  %8d  %11.3f  %16.2f  %13.1f", point.nights, point.segments, point.lookup, point.evaluate, point.megabytes))
            }
            var csv = "nights,segments,ip_show_seconds,evaluate_seconds,database_mb\n"
            for p in points { csv += String(format: "%d,%d,%.4f,%.3f,%.1f\n", p.nights, p.segments, p.lookup, p.evaluate, p.megabytes) }
            try csv.write(toFile: "\(dir)/accumulate.csv", atomically: true, encoding: .utf8)
            print("table: \(dir)/accumulate.csv")
            if let svg {
                let chart = SVGChart(
                    title: "\(reporters) reporters, one shipment each a night (\(clients) clients), no compaction",
                    panels: [
                        .init(label: "ip show, s", values: points.map { (Double($0.segments), $0.lookup) }),
                        .init(label: "evaluate (last 7 days), s", values: points.map { (Double($0.segments), $0.evaluate) }),
                    ],
                    xLabel: "segments in the store")
                try chart.render().write(toFile: svg, atomically: true, encoding: .utf8)
                print("chart: \(svg)")
            }
        }
    }
}
