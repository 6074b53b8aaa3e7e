import ArgumentParser
import Foundation
import Glibc
import Synchronization

extension AbuseBench {
    struct ReviewUIBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "review-ui",
            abstract: "The staff review UI under wrk with a logged-in cookie: a case page with 20 reporters, the queue over 10,000 open cases.",
            discussion: """
                Targets (issue 14): the page of a case with 20 reporters renders in <= 50 ms median; the \
                queue page with 10,000 open cases in <= 100 ms median. Everything is made through the \
                release binary: 20 reporters ship logs that are ingested and evaluated for real (the 20-reporter \
                case has its evidence in the archive; 10,000 unregistered hosts each open a case), a \
                reviewer logs in over HTTP, then wrk (apt-get install wrk) loads each page.
                """
        )

        @Option(help: "Working folder (emptied).") var dir = "bench-out/review-ui"
        @Option(help: "The abuse-ingest binary.") var binary = ".build/release/abuse-ingest"
        @Option(help: "Open cases in the queue.") var cases = 10_000
        @Option(help: "Reporters of the big case.") var reporters = 20
        @Option(help: "Seconds of load per page.") var seconds = 10
        @Option(help: "wrk connections.") var connections = 4

        func run() throws {
            let wrk = try ServeBench.program("wrk")
            let curl = try ServeBench.program("curl")
            let fm = FileManager.default
            try? fm.removeItem(atPath: dir)
            try fm.createDirectory(atPath: "\(dir)/rules", withIntermediateDirectories: true)
            let db = "\(dir)/abuse-ingest.db"
            let started = Date()
            try """
                id: many-unknown-recipients
                description: An unregistered host writes to unknown recipients
                applies_to: [unregistered]
                subject: ip
                window: 24h
                when:
                  - count: rejected.unknown_recipient
                    at_least: 5
                action: open_case
                severity: low

                """.write(toFile: "\(dir)/rules/many.yaml", atomically: true, encoding: .utf8)
            try """
                id: seen-everywhere
                description: An unregistered host rejected at \(reporters) ISPs
                applies_to: [unregistered]
                subject: ip
                window: 24h
                when:
                  - count: rejected.unknown_recipient
                    at_least: 100
                  - distinct_reporters: { at_least: \(reporters) }
                action: open_case
                severity: high
                evidence: { samples_per_reporter: 20 }

                """.write(toFile: "\(dir)/rules/everywhere.yaml", atomically: true, encoding: .utf8)
            let stamp = DateFormatter()
            stamp.locale = Locale(identifier: "en_US_POSIX")
            stamp.timeZone = TimeZone(identifier: "UTC")
            stamp.dateFormat = "MMM dd HH:mm:ss"
            let now = Date()
            func line(_ minutesAgo: Double, _ n: Int, _ ip: String, _ host: String) -> String {
                "\(stamp.string(from: now.addingTimeInterval(-minutesAgo * 60))) \(host) postfix/smtpd[\(1000 + n % 50_000)]: NOQUEUE: reject: RCPT from unknown[\(ip)]: "
                    + "550 5.1.1 <u\(n)@\(host)>: Recipient address rejected: User unknown in local recipient table; from=<x@spam.example> to=<u\(n)@\(host)> proto=ESMTP helo=<spam.example>\n"
            }
            for r in 1...reporters {
                let id = String(format: "r%02d", r)
                try check([binary, "reporters", "add", id, "--name", "ISP \(id)", "--organisation", "org-\(id)", "--db", db])
                var text = (0..<20).map { line(300 - Double($0) * 5, $0, "192.0.2.77", "mx.\(id).example") }.joined()
                if r == 1 {
                    // The queue: every host rejected 5 times.
                    for c in 0..<cases {
                        let ip = "100.\(64 + (c >> 16) & 63).\((c >> 8) & 255).\(c & 255)"
                        for k in 0..<5 { text += line(600 - Double(c % 500), c * 5 + k, ip, "mx.r01.example") }
                    }
                }
                let file = "\(dir)/\(id).log"
                try text.write(toFile: file, atomically: true, encoding: .utf8)
                try check([binary, "ingest", "--reporter", id, file, "--db", db])
            }
            let evaluated = Date()
            try check([binary, "evaluate", "--rules", "\(dir)/rules", "--db", db])
            print(String(format: "setup: %d reporters shipped and ingested in %.1f s; evaluation opened the cases in %.1f s", reporters, evaluated.timeIntervalSince(started), Date().timeIntervalSince(evaluated)))
            try check([binary, "staff", "add", "bench-reviewer", "--role", "reviewer", "--db", db], stdin: "a long enough passphrase\n")

            let server = Process()
            server.executableURL = URL(fileURLWithPath: binary)
            server.arguments = ["serve", "--db", db, "--http", "127.0.0.1:0", "--rules", "\(dir)/rules", "--evaluate-every", "1h"]
            let out = Pipe()
            server.standardOutput = out
            server.standardError = FileHandle.nullDevice
            try server.run()
            defer {
                kill(server.processIdentifier, SIGTERM)
                server.waitUntilExit()
            }
            var first = Data()
            while !first.contains(10) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { throw BenchError("serve did not start") }
                first.append(chunk)
            }
            let url = String(decoding: first.prefix { $0 != 10 }, as: UTF8.self)
            // Log in as a browser would: the login form's token, then the POST.
            let jar = "\(dir)/cookies.txt"
            try check([curl, "-sf", "-o", "/dev/null", "-c", jar, "\(url)/login"])
            let loginToken = try cookie("abuse_login", jar: jar)
            try check([curl, "-sf", "-o", "/dev/null", "-b", jar, "-c", jar, "--data-urlencode", "username=bench-reviewer", "--data-urlencode", "password=a long enough passphrase",
                       "--data-urlencode", "csrf_token=\(loginToken)", "\(url)/login"])
            let session = try cookie("abuse_session", jar: jar)
            let queue = try shell([curl, "-s", "-b", jar, "\(url)/?status=open"]).stdout
            let filtered = try shell([curl, "-s", "-b", jar, "\(url)/?rule=seen-everywhere"]).stdout
            guard let caseID = filtered.range(of: #"C-\d{4}-\d{6}"#, options: .regularExpression).map({ String(filtered[$0]) }) else {
                throw BenchError("the queue does not list the \(reporters)-reporter case")
            }
            guard queue.contains("\(cases + 1) case(s)") || queue.contains("\(cases + 2) case(s)") else {
                throw BenchError("the queue does not hold \(cases) open cases: \(queue.prefix(2000))")
            }
            let cold = try shell([curl, "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "-b", jar, "\(url)/cases/\(caseID)"]).stdout
            let casePage = try shell([curl, "-s", "-b", jar, "\(url)/cases/\(caseID)"]).stdout
            let rows = casePage.components(separatedBy: "<th scope=\"row\">r").count - 1
            guard cold.hasPrefix("200"), rows == reporters else { throw BenchError("the case page of \(caseID) answered \(cold) with \(rows) reporter rows") }
            print("case \(caseID): \(rows) reporters, \(casePage.utf8.count / 1024) KiB; first (uncached) render \(Int((Double(cold.split(separator: " ")[1]) ?? 0) * 1000)) ms")

            for (name, path, target) in [("case page (20 reporters)", "/cases/\(caseID)", 50.0), ("queue, first page of \(cases) open cases", "/", 100.0), ("queue, page 100", "/?page=100", 100.0)] {
                let result = try shell([wrk, "-t2", "-c\(connections)", "-d\(seconds)s", "--latency", "-H", "Cookie: abuse_session=\(session)", "\(url)\(path)"]).stdout
                guard !result.contains("Non-2xx or 3xx") else { throw BenchError("wrk saw errors on \(path):\n\(result)") }
                let median = Self.latency(result, percentile: "50%")
                let p99 = Self.latency(result, percentile: "99%")
                let rate = result.split(separator: "\n").first { $0.hasPrefix("Requests/sec:") }.map { $0.split(separator: " ").last.map(String.init) ?? "?" } ?? "?"
                print(String(format: "%@: median %.1f ms, p99 %.1f ms, %@ requests/s (target median <= %.0f ms: %@)", name, median, p99, rate, target, median <= target ? "met" : "MISSED"))
            }
        }

        /// `50%    3.21ms` → 3.21 (milliseconds).
        static func latency(_ output: String, percentile: String) -> Double {
            for line in output.split(separator: "\n") {
                let parts = line.split(separator: " ", omittingEmptySubsequences: true)
                guard parts.count == 2, parts[0] == percentile else { continue }
                let text = String(parts[1])
                for (unit, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0)] where text.hasSuffix(unit) {
                    return (Double(text.dropLast(unit.count)) ?? .nan) * scale
                }
            }
            return .nan
        }

        func cookie(_ name: String, jar: String) throws -> String {
            let text = try String(contentsOfFile: jar, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: "\t")
                if fields.count >= 7, fields[5] == name { return String(fields[6]) }
            }
            throw BenchError("no \(name) cookie after the login")
        }

        func check(_ arguments: [String], stdin: String? = nil) throws {
            let result = try shell(arguments, stdin: stdin)
            guard result.status == 0 else { throw BenchError("\(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr.suffix(500))") }
        }

        func shell(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: arguments[0])
            process.arguments = Array(arguments.dropFirst())
            let input = Pipe()
            let output = Pipe()
            let errors = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
            try input.fileHandleForWriting.close()
            let errorData = Mutex(Data())
            let group = DispatchGroup()
            DispatchQueue.global().async(group: group) {
                let data = errors.fileHandleForReading.readDataToEndOfFile()
                errorData.withLock { $0 = data }
            }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            group.wait()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self), String(decoding: errorData.withLock { $0 }, as: UTF8.self))
        }
    }
}
