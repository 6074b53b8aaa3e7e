import ArgumentParser
import EnforcementEngine
import Foundation
import GRDB
import Primitives
import RegistryClient

extension AbuseBench {
    struct CompactionBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compaction",
            abstract: "One reporter's 10,000 segments: `ip show` before and after `store compact` (issue 17: at most 0.05 s after).",
            discussion: """
                Commits --segments small shipments of one reporter (--per-day a day, as hourly logs give), \
                then times the real `ip show` of a client found in every shipment (best of 3), the real \
                `store compact` (every week that ended), and `ip show` again; its output must be the same \
                bytes before and after. Prints the figures and whether the target is met.
                """
        )

        @Option(help: "Shipments (segments) of the reporter.") var segments = 10_000
        @Option(help: "Shipments a day.") var perDay = 24
        @Option(help: "Clients per shipment.") var clients = 200
        @Option(help: "Distinct clients in all.") var pool = 20_000
        @Option(help: "Working folder.") var dir = "bench-out/compaction"
        @Option(help: "The abuse-ingest binary.") var binary = ".build/release/abuse-ingest"
        @Option(help: "Target for ip show after compaction, in seconds.") var target = 0.05

        /// `ip show`'s reads (the client's records and activity) in this process: best of 5.
        static func lookupSeconds(db: String, probe: String) throws -> Double {
            let store = try EngineStore(database: try DatabaseConnection.open(path: db))
            var best = Double.infinity
            for _ in 0..<5 {
                let start = DispatchTime.now()
                _ = try store.activity(of: IPAddress(probe)!)
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
            }
            return best
        }

        func run() throws {
            try? FileManager.default.removeItem(atPath: dir)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let db = "\(dir)/abuse-ingest.db"
            let store = try EngineStore(database: try DatabaseConnection.open(path: db))
            try store.addReporter(Reporter(id: "isp-hourly", name: "ISP hourly", organisation: "hourly", createdAt: 0))
            let firstDay = ISOTime.parse("2025-01-06T00:00:00Z")! / 86_400_000
            for n in 0..<segments {
                let (shipment, segment) = try SyntheticShipment.make(
                    reporter: "isp-hourly", name: "isp-hourly-\(n).log.gz", seed: UInt64(n) &+ 17, day: firstDay + Int64(n / perDay), clients: clients, pool: pool)
                try store.commit(shipment, segment: segment)
            }
            _ = try store.database.writeWithoutTransaction { try $0.checkpoint(.truncate) }
            let lastDay = firstDay + Int64((segments - 1) / perDay)
            let probe = SyntheticShipment.probe(pool: pool).description
            print("compaction: 1 reporter, \(segments) segments (\(perDay) a day, \(lastDay - firstDay + 1) days), \(clients) clients each")
            let shownBefore = "\(dir)/ip-show-before.json"
            let before = try Measurement.best(of: 3, [binary, "ip", "show", probe, "--db", db, "--json"], stdout: shownBefore)
            let inProcessBefore = try Self.lookupSeconds(db: db, probe: probe)
            print(String(format: "ip show before:   %.3f s over %d segments (the lookup in process: %.1f ms)", before.seconds, segments, inProcessBefore * 1000))
            let until = String(ISOTime.format(millis: (lastDay + 8) * 86_400_000, fraction: false).prefix(10))
            let compaction = try Measurement.run([binary, "store", "compact", "--db", db, "--before", until, "--json"], stdout: "\(dir)/compact.json")
            guard compaction.status == 0 else { throw BenchError("store compact exited \(compaction.status)") }
            let result = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/compact.json"))) as? [String: Any]
            let after = result?["segments_after"] as? Int ?? -1
            print(String(format: "store compact:    %.2f s, peak RSS %d MB, %d segments -> %d", compaction.seconds, compaction.peakRSS >> 20, segments, after))
            let shownAfter = "\(dir)/ip-show-after.json"
            let lookup = try Measurement.best(of: 3, [binary, "ip", "show", probe, "--db", db, "--json"], stdout: shownAfter)
            let inProcessAfter = try Self.lookupSeconds(db: db, probe: probe)
            print(String(format: "ip show after:    %.3f s over %d segments (the lookup in process: %.1f ms)", lookup.seconds, after, inProcessAfter * 1000))
            let empty = "\(dir)/empty/abuse-ingest.db"
            try FileManager.default.createDirectory(atPath: "\(dir)/empty", withIntermediateDirectories: true)
            _ = try EngineStore(database: try DatabaseConnection.open(path: empty))
            let floor = try Measurement.best(of: 3, [binary, "ip", "show", probe, "--db", empty, "--json"])
            print(String(format: "ip show on an empty store: %.3f s (process start, opening the store)", floor.seconds))
            let same = try Data(contentsOf: URL(fileURLWithPath: shownBefore)) == Data(contentsOf: URL(fileURLWithPath: shownAfter))
            print("ip show output before and after: \(same ? "identical" : "DIFFERENT")")
            print(String(format: "target ip show after compaction <= %.3f s: %@", target, lookup.seconds <= target && same ? "MET" : "MISSED"))
            if !same { throw ExitCode(1) }
        }
    }
}
