import ArgumentParser
import LogParsers
import Foundation

extension AbuseBench {
    struct IngestBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ingest",
            abstract: "abuse-ingest ingest of 4 gzip Postfix files against zcat | wc -l on the same files.",
            discussion: """
                Targets (issue 4): >= 1.5x the lines/s of one `zcat | wc -l`, peak RSS <= 256 MB, database \
                growth (the archive aside) <= 25 % of the compressed input. With --postgres, the same files on \
                PostgreSQL by two ingest processes at once (workers on two hosts), each given half of them; \
                target (issue 17): >= 0.8x the SQLite throughput. Each database first ingests a one-line file, \
                as the night's first shipment would: the registry's index is then in the data folder's cache \
                for the measured runs, as for every later ingest until the registry changes.
                """
        )

        @Option(help: "Files.") var files = 4
        @Option(help: "Lines per file.") var lines = 1_000_000
        @Option(help: "Networks in the registry.") var networks = 100_000
        @Option(help: "Working folder.") var dir = "bench-out/ingest"
        @Option(help: "The abuse-ingest binary.") var binary = ".build/release/abuse-ingest"
        @Option(help: "Runs of each command, alternating (each ingest on a new database); the best of each is compared.") var repeats = 5
        @Option(help: "A PostgreSQL server (postgres://USER@HOST[:PORT]/DB) to ingest the same files on (in a database abuse_bench_ingest).")
        var postgres: String?

        func run() throws {
            let fm = FileManager.default
            let paths = try Self.benchFiles(dir: dir, files: files, lines: lines)
            let compressed = try paths.reduce(0) { $0 + ((try fm.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
            let registry = SyntheticRegistry(networks: networks)
            try registry.csv(registry.entries()).write(toFile: "\(dir)/registry.csv", atomically: false, encoding: .utf8)
            // zcat and ingest alternate, so that a slower spell of a shared machine weighs on
            // both alike.
            var zcat: Measurement?
            var ingest: Measurement?
            var runs: [Double] = []
            var pairRatios: [Double] = []
            var growthBytes = 0
            var peakRSS = 0
            for _ in 0..<max(1, repeats) {
                // Every run on a new database: a second run would find only duplicates.
                let data = "\(dir)/data"
                try? fm.removeItem(atPath: data)
                try fm.createDirectory(atPath: data, withIntermediateDirectories: true)
                let db = "\(data)/abuse-ingest.db"
                guard try Measurement.run([binary, "registry", "import", "--db", db, "\(dir)/registry.csv"]).status == 0,
                    try Measurement.run([binary, "reporters", "add", "isp-a", "--name", "ISP A", "--db", db]).status == 0,
                    try Measurement.run([binary, "ingest", "--reporter", "isp-a", "--db", db, try Self.warmUp(dir)]).status == 0
                else { throw BenchError("cannot prepare the database") }
                _ = try Measurement.run(["sqlite3", db, "PRAGMA wal_checkpoint(TRUNCATE)"])
                let before = Self.databaseBytes(db)
                let pipeline = try Measurement.best(of: 1, ["sh", "-c", "zcat \(paths.joined(separator: " ")) | wc -l"])
                if zcat == nil || pipeline.seconds < zcat!.seconds { zcat = pipeline }
                let run = try Measurement.best(of: 1, [binary, "ingest", "--db", db, "--reporter", "isp-a"] + paths)
                pairRatios.append(pipeline.seconds / run.seconds)
                _ = try Measurement.run(["sqlite3", db, "PRAGMA wal_checkpoint(TRUNCATE)"])
                growthBytes = Self.databaseBytes(db) - before
                runs.append(run.seconds)
                peakRSS = max(peakRSS, run.peakRSS)
                if ingest == nil || run.seconds < ingest!.seconds { ingest = run }
            }
            let best = ingest!
            let zcatBest = zcat!
            let total = Double(files * lines)
            let ratio = (total / best.seconds) / (total / zcatBest.seconds)
            let medianPair = pairRatios.sorted()[pairRatios.count / 2]
            let growth = Double(growthBytes) / Double(compressed)
            print("input: \(files) files × \(lines) lines, \(compressed / 1_000_000) MB gzip; registry \(networks) networks")
            print("best of \(max(1, repeats)) runs each, zcat and ingest alternating")
            print(String(format: "zcat | wc -l (one pipeline over all files): %.2f s, %.0f lines/s", zcatBest.seconds, total / zcatBest.seconds))
            print(String(format: "abuse-ingest ingest: %.2f s, %.0f lines/s (%.2fx zcat | wc -l), peak RSS %.0f MB (the most of any run)", best.seconds, total / best.seconds, ratio, Double(peakRSS) / 1e6))
            print("ingest runs: " + runs.map { String(format: "%.2f s", $0) }.joined(separator: ", "))
            print("ingest / zcat of each pair: " + pairRatios.map { String(format: "%.2fx", $0) }.joined(separator: ", ") + String(format: " (median %.2fx)", medianPair))
            print(String(format: "database growth: %.1f MB (%.0f %% of the compressed input), archive aside", Double(growthBytes) / 1e6, growth * 100))
            print("targets: >= 1.5x zcat: \(ratio >= 1.5 ? "MET" : "MISSED") (\(String(format: "%.2f", ratio))x); peak RSS <= 256 MB: \(peakRSS <= 256_000_000 ? "MET" : "MISSED"); growth <= 25 %: \(growth <= 0.25 ? "MET" : "MISSED") (\(String(format: "%.0f", growth * 100)) %)")
            if let postgres { try comparePostgres(postgres, paths: paths, sqlite: best.seconds) }
        }

        /// The same ingest on PostgreSQL, `repeats` times on a new database: two processes at
        /// once, each with half of the files; the best wall time against SQLite's best.
        func comparePostgres(_ url: String, paths: [String], sqlite: Double) throws {
            var best = Double.infinity
            var runs: [Double] = []
            for _ in 0..<max(1, repeats) {
                let db = try BenchPostgres.fresh(url, name: "abuse_bench_ingest")
                let data = "\(dir)/data-postgres"
                try? FileManager.default.removeItem(atPath: data)
                try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
                let target = ["--db", db, "--data-dir", data]
                guard try Measurement.run([binary, "registry", "import", "\(dir)/registry.csv"] + target).status == 0,
                    try Measurement.run([binary, "reporters", "add", "isp-a", "--name", "ISP A"] + target).status == 0,
                    try Measurement.run([binary, "ingest", "--reporter", "isp-a"] + target + [try Self.warmUp(dir)]).status == 0
                else { throw BenchError("cannot prepare the PostgreSQL database") }
                let halves = [paths.enumerated().filter { $0.offset % 2 == 0 }.map(\.element), paths.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)]
                let start = DispatchTime.now()
                let workers = try halves.map { half in
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: binary)
                    process.arguments = ["ingest", "--reporter", "isp-a"] + target + half
                    process.standardOutput = FileHandle.nullDevice
                    process.standardError = FileHandle.nullDevice
                    try process.run()
                    return process
                }
                for worker in workers {
                    worker.waitUntilExit()
                    guard worker.terminationStatus == 0 else { throw BenchError("an ingest on PostgreSQL failed (exit \(worker.terminationStatus))") }
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                runs.append(seconds)
                best = min(best, seconds)
            }
            let total = Double(files * lines)
            let ratio = sqlite / best
            print(String(format: "postgres, 2 ingest processes at once: %.2f s, %.0f lines/s (%.2fx SQLite's throughput)", best, total / best, ratio))
            print("postgres runs: " + runs.map { String(format: "%.2f s", $0) }.joined(separator: ", "))
            print("target (issue 17): >= 0.8x SQLite: \(ratio >= 0.8 ? "MET" : "MISSED") (\(String(format: "%.2f", ratio))x)")
        }

        /// The bench's gzip Postfix files (`mx<k>-<lines>.log.gz`), generated once per folder
        /// (the serve bench ships the same files).
        static func benchFiles(dir: String, files: Int, lines: Int) throws -> [String] {
            let fm = FileManager.default
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var paths: [String] = []
            for k in 0..<files {
                let path = "\(dir)/mx\(k + 1)-\(lines).log.gz"
                if !fm.fileExists(atPath: path) {
                    print("generating \(path)…")
                    let writer = try GzipFileWriter(path: path)
                    SyntheticPostfixLog(seed: 42 + UInt64(k), clients: 200_000, host: "mx\(k + 1)").generate(lines: lines) { writer.write($0) }
                    try writer.close()
                }
                paths.append(path)
            }
            return paths
        }

        /// A one-line file ingested before the measured runs, as the night's first shipment
        /// is: it leaves the registry's index in the data folder's cache, where every later
        /// ingest reads it until the registry changes (`IndexCache`). The measured runs are
        /// the night's other shipments.
        static func warmUp(_ dir: String) throws -> String {
            let path = "\(dir)/warm-up.log"
            try "Nov 28 00:00:01 mx0 postfix/smtpd[1]: connect from unknown[192.0.2.1]\n".write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        static func databaseBytes(_ db: String) -> Int {
            [db, db + "-wal"].reduce(0) { $0 + (((try? FileManager.default.attributesOfItem(atPath: $1))?[.size] as? Int) ?? 0) }
        }
    }
}
