import ArgumentParser
import LogParsers
import Foundation

extension AbuseBench {
    struct ParseBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "parse",
            abstract: "abuse-ingest parse against zcat | wc -l on the same synthetic Postfix log.",
            discussion: """
                Targets (issue 2): --output none >= 1.0x and JSON Lines >= 0.6x the lines/s of \
                `zcat | wc -l`; peak RSS <= 64 MB and the same for 1M and 4M lines. Issue 15: the same \
                file as zstd parsed at >= 1.0x `zstd -dc | wc -l` (xz and bzip2 are measured against \
                their own tools too, without a target). Needs zstd, xz-utils and bzip2.
                """
        )

        @Option(help: "Lines in the main file.") var lines = 1_000_000
        @Option(help: "Lines in the large file (RSS flatness).") var largeLines = 4_000_000
        @Option(help: "Working folder for the generated files.") var dir = "bench-out"
        @Option(help: "The abuse-ingest binary to measure.") var binary = ".build/release/abuse-ingest"
        @Option(help: "Runs per measurement (the fastest counts).") var repeats = 3

        func run() throws {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let small = "\(dir)/postfix-\(lines).log.gz"
            let large = "\(dir)/postfix-\(largeLines).log.gz"
            for (path, count) in [(small, lines), (large, largeLines)] where !FileManager.default.fileExists(atPath: path) {
                print("generating \(path) (\(count) lines)…")
                let writer = try GzipFileWriter(path: path)
                SyntheticPostfixLog().generate(lines: count) { writer.write($0) }
                try writer.close()
            }
            let plainBytes = try Self.uncompressedSize(small)
            let zcat = try Measurement.best(of: repeats, ["sh", "-c", "zcat '\(small)' | wc -l"])
            let none = try Measurement.best(of: repeats, [binary, "parse", "--output", "none", small])
            let jsonl = try Measurement.best(of: repeats, [binary, "parse", small])
            let noneLarge = try Measurement.best(of: 1, [binary, "parse", "--output", "none", large])
            let jsonlLarge = try Measurement.best(of: 1, [binary, "parse", large])

            func rate(_ m: Measurement, _ n: Int) -> Double { Double(n) / m.seconds }
            func row(_ name: String, _ m: Measurement, _ n: Int, _ bytes: Double) -> String {
                let linesPerSecond = rate(m, n)
                let label = name.padding(toLength: 34, withPad: " ", startingAt: 0)
                return label
                    + String(
                        format: "%8.2f s %10.0f lines/s %7.1f MB/s %6.2fx zcat %7.1f MB peak RSS", m.seconds, linesPerSecond,
                        bytes / m.seconds / 1e6, linesPerSecond / rate(zcat, lines), Double(m.peakRSS) / 1e6)
            }
            let bytes = Double(plainBytes)
            print("file: \(small), \(lines) lines, \(plainBytes / 1_000_000) MB uncompressed")
            print(row("zcat | wc -l", zcat, lines, bytes))
            print(row("parse --output none", none, lines, bytes))
            print(row("parse (JSON Lines to /dev/null)", jsonl, lines, bytes))
            print(String(format: "peak RSS, --output none: %.1f MB at %d lines, %.1f MB at %d lines", Double(none.peakRSS) / 1e6, lines, Double(noneLarge.peakRSS) / 1e6, largeLines))
            print(String(format: "peak RSS, JSON Lines:    %.1f MB at %d lines, %.1f MB at %d lines", Double(jsonl.peakRSS) / 1e6, lines, Double(jsonlLarge.peakRSS) / 1e6, largeLines))
            let noneRatio = rate(none, lines) / rate(zcat, lines)
            let jsonlRatio = rate(jsonl, lines) / rate(zcat, lines)
            let rssOK = max(none.peakRSS, noneLarge.peakRSS, jsonl.peakRSS, jsonlLarge.peakRSS) <= 64_000_000
            let flat = Double(noneLarge.peakRSS) <= Double(none.peakRSS) * 1.1 + 2_000_000
            print("targets: --output none >= 1.0x: \(noneRatio >= 1.0 ? "MET" : "MISSED") (\(String(format: "%.2f", noneRatio))x); JSON Lines >= 0.6x: \(jsonlRatio >= 0.6 ? "MET" : "MISSED") (\(String(format: "%.2f", jsonlRatio))x); RSS <= 64 MB: \(rssOK ? "MET" : "MISSED"); flat 1M vs 4M: \(flat ? "MET" : "MISSED")")

            // The same log as zstd, xz and bzip2, each against its own tool's decompression.
            for (tool, suffix, compress, target) in [("zstd", "zst", "zstd -q -3", 1.0), ("xz", "xz", "xz -6", 0.0), ("bzip2", "bz2", "bzip2 -9", 0.0)] {
                let path = "\(dir)/postfix-\(lines).log.\(suffix)"
                if !FileManager.default.fileExists(atPath: path) {
                    guard try Measurement.run(["sh", "-c", "zcat '\(small)' | \(compress) > '\(path)'"]).status == 0 else {
                        throw BenchError("\(tool) is not installed: apt-get install \(tool == "xz" ? "xz-utils" : tool)")
                    }
                }
                let reference = try Measurement.best(of: repeats, ["sh", "-c", "\(tool) -dc '\(path)' | wc -l"])
                let parsed = try Measurement.best(of: repeats, [binary, "parse", "--output", "none", path])
                let ratio = rate(parsed, lines) / rate(reference, lines)
                print(row("\(tool) -dc | wc -l", reference, lines, bytes))
                print(row("parse --output none (\(tool))", parsed, lines, bytes))
                print(target > 0
                    ? "target: \(tool) input >= \(target)x \(tool) -dc | wc -l: \(ratio >= target ? "MET" : "MISSED") (\(String(format: "%.2f", ratio))x)"
                    : "\(tool) input: \(String(format: "%.2f", ratio))x \(tool) -dc | wc -l (no target)")
            }
        }

        static func uncompressedSize(_ path: String) throws -> Int {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-bench-size.txt").path
            let m = try Measurement.run(["sh", "-c", "zcat '\(path)' | wc -c"], stdout: out)
            guard m.status == 0 else { throw BenchError("zcat failed on \(path)") }
            let text = try String(contentsOfFile: out, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            return Int(text) ?? 0
        }
    }
}
