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
                growth (the archive aside) <= 25 % of the compressed input.
                """
        )

        @Option(help: "Files.") var files = 4
        @Option(help: "Lines per file.") var lines = 1_000_000
        @Option(help: "Networks in the registry.") var networks = 100_000
        @Option(help: "Working folder.") var dir = "bench-out/ingest"
        @Option(help: "The abuse-ingest binary.") var binary = ".build/release/abuse-ingest"

        func run() throws {
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
            let compressed = try paths.reduce(0) { $0 + ((try fm.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
            let data = "\(dir)/data"
            try? fm.removeItem(atPath: data)
            try fm.createDirectory(atPath: data, withIntermediateDirectories: true)
            let db = "\(data)/abuse-ingest.db"
            let registry = SyntheticRegistry(networks: networks)
            try registry.csv(registry.entries()).write(toFile: "\(dir)/registry.csv", atomically: false, encoding: .utf8)
            guard try Measurement.run([binary, "registry", "import", "--db", db, "\(dir)/registry.csv"]).status == 0,
                try Measurement.run([binary, "reporters", "add", "isp-a", "--name", "ISP A", "--db", db]).status == 0
            else { throw BenchError("cannot prepare the database") }
            let before = Self.databaseBytes(db)
            let zcat = try Measurement.best(of: 1, ["sh", "-c", "zcat \(paths.joined(separator: " ")) | wc -l"])
            let ingest = try Measurement.best(of: 1, [binary, "ingest", "--db", db, "--reporter", "isp-a"] + paths)
            _ = try Measurement.run(["sqlite3", db, "PRAGMA wal_checkpoint(TRUNCATE)"])
            let after = Self.databaseBytes(db)
            let total = Double(files * lines)
            let ratio = (total / ingest.seconds) / (total / zcat.seconds)
            let growth = Double(after - before) / Double(compressed)
            print("input: \(files) files × \(lines) lines, \(compressed / 1_000_000) MB gzip; registry \(networks) networks")
            print(String(format: "zcat | wc -l (one pipeline over all files): %.2f s, %.0f lines/s", zcat.seconds, total / zcat.seconds))
            print(String(format: "abuse-ingest ingest: %.2f s, %.0f lines/s (%.2fx zcat | wc -l), peak RSS %.0f MB", ingest.seconds, total / ingest.seconds, ratio, Double(ingest.peakRSS) / 1e6))
            print(String(format: "database growth: %.1f MB (%.0f %% of the compressed input), archive aside", Double(after - before) / 1e6, growth * 100))
            print("targets: >= 1.5x zcat: \(ratio >= 1.5 ? "MET" : "MISSED") (\(String(format: "%.2f", ratio))x); peak RSS <= 256 MB: \(ingest.peakRSS <= 256_000_000 ? "MET" : "MISSED"); growth <= 25 %: \(growth <= 0.25 ? "MET" : "MISSED") (\(String(format: "%.0f", growth * 100)) %)")
        }

        static func databaseBytes(_ db: String) -> Int {
            [db, db + "-wal"].reduce(0) { $0 + (((try? FileManager.default.attributesOfItem(atPath: $1))?[.size] as? Int) ?? 0) }
        }
    }
}
