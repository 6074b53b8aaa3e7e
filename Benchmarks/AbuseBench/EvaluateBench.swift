import ArgumentParser
import EnforcementEngine
import Foundation
import GRDB
import LogParsers
import RegistryClient

extension AbuseBench {
    struct EvaluateBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "evaluate",
            abstract: "abuse-ingest evaluate over the aggregates of 1,000,000 clients from 20 reporters over 7 days.",
            discussion: "Target (issue 5): <= 10 s and <= 1 GB peak RSS."
        )

        @Option(help: "Distinct clients.") var clients = 1_000_000
        @Option(help: "Reporters (two per organisation).") var reporters = 20
        @Option(help: "Days of aggregates.") var days = 7
        @Option(help: "Working folder.") var dir = "bench-out/evaluate"
        @Option(help: "The abuse-ingest binary.") var binary = ".build/release/abuse-ingest"
        @Option(help: "The rules folder.") var rules = "rules"

        func run() throws {
            try? FileManager.default.removeItem(atPath: dir)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let db = "\(dir)/abuse-ingest.db"
            let store = try EngineStore(database: try DatabaseConnection.open(path: db))
            let registry = SyntheticRegistry(networks: 100_000)
            let csv = try RegistryCSV(bytes: Array(registry.csv(registry.entries()).utf8))
            _ = try store.registry.importRows(csv.rows, file: "registry.csv", sha256: "bench", now: 0)
            for r in 0..<reporters {
                try store.addReporter(Reporter(id: "isp-\(r)", name: "ISP \(r)", organisation: "org-\(r / 2)", createdAt: 0))
            }
            let firstDay = ISOTime.parse("2026-11-22T00:00:00Z")! / 86_400_000
            let asOf = (firstDay + Int64(days)) * 86_400_000
            print("generating aggregates of \(clients) clients, \(reporters) reporters, \(days) days…")
            var rng = SplitMix64(seed: 11)
            var rows = 0
            try store.database.write { db in
                let statement = try db.makeStatement(sql: "INSERT OR IGNORE INTO event_day (ip, reporter_id, day, counts, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)")
                for k in 0..<clients {
                    let ip = IPAddress(v4: 0x6440_0000 + UInt32(k) * 4)
                    let key = IPKey.bytes(ip)
                    let heavy = k % 997 == 0  // a few attackers that cross the thresholds
                    for _ in 0..<2 {
                        let reporter = Int(rng.next() % UInt64(reporters))
                        for _ in 0..<2 {
                            let day = firstDay + Int64(rng.next() % UInt64(days))
                            var entries: [DayCounts.Entry] = []
                            let hour = UInt8(rng.next() % 24)
                            let status: UInt8 = k < 400_000 ? 0 : 3
                            entries.append(.init(hourOfDay: hour, kind: EventKind.connect.rawValue, reason: 255, status: status, count: 1 + Int(rng.next() % 20)))
                            entries.append(.init(hourOfDay: hour, kind: EventKind.rejected.rawValue, reason: RejectReason.unknownRecipient.rawValue, status: status, count: heavy ? 300 : Int(rng.next() % 5)))
                            entries.append(.init(hourOfDay: hour, kind: EventKind.messageAccepted.rawValue, reason: 255, status: status, count: Int(rng.next() % 8)))
                            let first = day * 86_400_000 + Int64(hour) * 3_600_000
                            try statement.execute(arguments: [key, "isp-\(reporter)", day, DayCounts.encode(entries.filter { $0.count > 0 }), first, first + 60_000])
                            rows += 1
                        }
                    }
                }
            }
            // A store at rest: the write-ahead log folded into the database, as after ingest.
            try store.database.writeWithoutTransaction { try $0.checkpoint(.truncate) }
            print("\(rows) client-day rows; evaluating as of \(ISOTime.format(millis: asOf, fraction: false))")
            let run = try Measurement.best(of: 1, [binary, "evaluate", "--db", db, "--rules", rules, "--as-of", ISOTime.format(millis: asOf, fraction: false)])
            print(String(format: "evaluate: %.2f s, peak RSS %.0f MB", run.seconds, Double(run.peakRSS) / 1e6))
            print("targets: <= 10 s: \(run.seconds <= 10 ? "MET" : "MISSED"); <= 1 GB: \(run.peakRSS <= 1_000_000_000 ? "MET" : "MISSED")")
        }
    }
}
