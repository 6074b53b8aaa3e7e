import ArgumentParser
import Foundation
import Glibc

extension AbuseBench {
    struct ServeBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "abuse-ingest serve over loopback HTTP: shipped and ingested end to end, uploads in flight, upload throughput.",
            discussion: """
                Targets (issue 13), on this 2-core machine: the 4 × 1 M-line bench files shipped by \
                `ship` and ingested, end to end, >= 1.2x `zcat | wc -l` on the same files in the same run; \
                with 8 uploads of 1 GB in flight, server peak RSS <= 300 MB; one 1 GB upload over plain \
                HTTP, hashing included, >= 400 MB/s.
                """
        )

        @Option(help: "Files.") var files = 4
        @Option(help: "Lines per file.") var lines = 1_000_000
        @Option(help: "Working folder (the ingest bench's files are reused).") var dir = "bench-out/ingest"
        @Option(help: "The abuse-ingest binary.") var binary = ".build/release/abuse-ingest"
        @Option(help: "Runs of the end-to-end comparison, alternating with zcat.") var repeats = 3
        @Option(name: .customLong("upload-mb"), help: "Size of the large uploads, MB.") var uploadMB = 1000
        @Option(help: "Large uploads in flight at once.") var inflight = 8

        func run() throws {
            let fm = FileManager.default
            let paths = try IngestBench.benchFiles(dir: dir, files: files, lines: lines)
            let curl = try Self.program("curl")
            let total = Double(files * lines)

            // 1. End to end: ship → serve → ingest, against zcat | wc -l, alternating.
            var zcat: Double = .infinity
            var shipped: Double = .infinity
            var ratios: [Double] = []
            var serverPeak = 0
            for _ in 0..<max(1, repeats) {
                let server = try Server(binary: binary, folder: "\(dir)/serve", arguments: ["--evaluate-every", "1h"])
                defer { server.stop() }
                let pipeline = try Measurement.best(of: 1, ["sh", "-c", "zcat \(paths.joined(separator: " ")) | wc -l"])
                let run = try Measurement.run([binary, "ship", "--url", server.url, "--token-file", server.tokenFile, "--parallel", "\(files)"] + paths)
                guard run.status == 0 else { throw BenchError("ship exited \(run.status)") }
                zcat = min(zcat, pipeline.seconds)
                shipped = min(shipped, run.seconds)
                ratios.append(pipeline.seconds / run.seconds)
                serverPeak = max(serverPeak, server.peakRSS())
            }
            let ratio = zcat / shipped
            print("input: \(files) files × \(lines) lines; \(max(1, repeats)) runs, zcat and ship alternating, each ship on a new data folder")
            print(String(format: "zcat | wc -l: %.2f s, %.0f lines/s", zcat, total / zcat))
            print(String(format: "ship → serve → ingested (all outcomes back): %.2f s, %.0f lines/s (%.2fx zcat | wc -l), server peak RSS %.0f MB", shipped, total / shipped, ratio, Double(serverPeak) / 1e6))
            print("ship / zcat of each pair: " + ratios.map { String(format: "%.2fx", $0) }.joined(separator: ", "))

            // 2. and 3. Large uploads: distinct files, so that each is a real upload.
            let big = "\(dir)/upload-\(uploadMB)MB"
            try fm.createDirectory(atPath: big, withIntermediateDirectories: true)
            var bigFiles: [String] = []
            for k in 0..<max(1, inflight) {
                let path = "\(big)/big-\(k).log"
                if (try? fm.attributesOfItem(atPath: path)[.size] as? Int) != uploadMB * 1_000_000 {
                    print("generating \(path)…")
                    try Self.writeFile(path, megabytes: uploadMB, seed: UInt8(k))
                }
                bigFiles.append(path)
            }
            // One upload alone: bytes to disk, hashed, synced, renamed, acknowledged.
            let single: Double
            var singlePeak = 0
            do {
                let server = try Server(binary: binary, folder: "\(dir)/serve-big", arguments: ["--evaluate-every", "1h", "--spool-poll", "1h"])
                defer { server.stop() }
                let run = try Measurement.run([
                    curl, "-sS", "-f", "-T", bigFiles[0], "-H", "Authorization: Bearer \(server.token)", "\(server.url)/v1/logs/big-0.log",
                ])
                guard run.status == 0 else { throw BenchError("curl -T exited \(run.status)") }
                single = Double(uploadMB) / run.seconds
                singlePeak = server.peakRSS()
            }
            print(String(format: "one %d MB upload over loopback plain HTTP (curl -T, hashed, synced, acknowledged): %.0f MB/s, server peak RSS %.0f MB", uploadMB, single, Double(singlePeak) / 1e6))
            // The disk's own ceiling for durable writes, in the same minutes.
            let ddStart = Date()
            let dd = try Measurement.run(["dd", "if=\(bigFiles[0])", "of=\(dir)/dd-ceiling", "bs=1M", "conv=fsync"])
            let ceiling = Double(uploadMB) / Date().timeIntervalSince(ddStart)
            try? fm.removeItem(atPath: "\(dir)/dd-ceiling")
            if dd.status == 0 { print(String(format: "the same file copied by dd and fsynced (the disk's ceiling): %.0f MB/s", ceiling)) }
            // Eight at once (each reporter's limit raised to let them in).
            let peak: Int
            let wall: Double
            do {
                let server = try Server(binary: binary, folder: "\(dir)/serve-big", arguments: ["--evaluate-every", "1h", "--spool-poll", "1h", "--max-concurrent-uploads", "\(inflight)"])
                defer { server.stop() }
                let start = Date()
                let uploads = try bigFiles.enumerated().map { k, path in
                    try Self.spawn([curl, "-sS", "-f", "-o", "/dev/null", "-T", path, "-H", "Authorization: Bearer \(server.token)", "\(server.url)/v1/logs/big-\(k).log"])
                }
                for pid in uploads {
                    var status: Int32 = 0
                    waitpid(pid, &status, 0)
                    guard status == 0 else { throw BenchError("an upload failed (status \(status))") }
                }
                wall = Date().timeIntervalSince(start)
                peak = server.peakRSS()
            }
            print(String(format: "%d uploads of %d MB at once: %.1f s (%.0f MB/s together), server peak RSS %.0f MB", inflight, uploadMB, wall, Double(inflight * uploadMB) / wall, Double(peak) / 1e6))
            print(
                "targets: end to end >= 1.2x zcat: \(ratio >= 1.2 ? "MET" : "MISSED") (\(String(format: "%.2f", ratio))x); peak RSS with \(inflight) uploads <= 300 MB: \(peak <= 300_000_000 ? "MET" : "MISSED"); one upload >= 400 MB/s: \(single >= 400 ? "MET" : "MISSED") (\(String(format: "%.0f", single)) MB/s)"
            )
        }

        /// `megabytes` of log-like text (distinct per seed), written without holding it in memory.
        static func writeFile(_ path: String, megabytes: Int, seed: UInt8) throws {
            guard let handle = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) else {
                throw BenchError("cannot write \(path)")
            }
            defer { try? handle.close() }
            try handle.truncate(atOffset: 0)
            var block = [UInt8]()
            block.reserveCapacity(1_000_000)
            var line = 0
            while block.count < 1_000_000 - 120 {
                block += Array("2026-11-28T01:00:00Z mx\(seed) postfix/smtpd[\(line)]: connect from unknown[198.51.\(seed).\(line % 250)]\n".utf8)
                line += 1
            }
            while block.count < 1_000_000 { block.append(UInt8(ascii: "\n")) }
            for mb in 0..<megabytes {
                var chunk = block
                // Every megabyte differs a little, so that no two files share a digest.
                chunk[0] = UInt8(truncatingIfNeeded: mb) | 0x30
                handle.write(Data(chunk))
            }
        }

        static func program(_ name: String) throws -> String {
            for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
            throw BenchError("\(name) is not installed: apt-get install \(name)")
        }

        static func spawn(_ arguments: [String]) throws -> pid_t {
            var pid: pid_t = 0
            let argv = arguments.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            let spawned = posix_spawn(&pid, arguments[0], nil, nil, argv, environ)
            guard spawned == 0 else { throw BenchError("cannot start \(arguments[0])") }
            return pid
        }
    }

    /// A `serve` on a new data folder with one reporter and its token, on a free port.
    final class Server {
        let process: Process
        let url: String
        let token: String
        let tokenFile: String

        init(binary: String, folder: String, arguments: [String]) throws {
            let fm = FileManager.default
            try? fm.removeItem(atPath: folder)
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let db = "\(folder)/abuse-ingest.db"
            guard try Measurement.run([binary, "reporters", "add", "isp-a", "--name", "ISP A", "--db", db]).status == 0 else {
                throw BenchError("cannot add the reporter")
            }
            let tokenOut = "\(folder)/token.out"
            guard try Measurement.run([binary, "reporters", "token", "create", "isp-a", "--db", db], stdout: tokenOut).status == 0 else {
                throw BenchError("cannot create a token")
            }
            token = try String(contentsOfFile: tokenOut, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            tokenFile = "\(folder)/isp-a.token"
            _ = fm.createFile(atPath: tokenFile, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
            process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["serve", "--db", db, "--http", "127.0.0.1:0", "--min-free-bytes", "1GiB"] + arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var line = Data()
            while !line.contains(10) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { throw BenchError("serve did not start") }
                line.append(chunk)
            }
            url = String(decoding: line.prefix { $0 != 10 }, as: UTF8.self)
        }

        /// The server's peak resident set so far (VmHWM), bytes.
        func peakRSS() -> Int {
            guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
            else { return 0 }
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }

        func stop() {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }
}
