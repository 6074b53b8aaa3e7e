import Foundation
import GRDB
import Testing
import TestSupport

/// `serve` as operators run it: rules reloads, metrics, signals, crashes, TLS, a full disk,
/// the public lookup and DNS from the same state.
@Suite(.serialized) struct ServeOperationTests {
    @Test func badRulesEditKeepsTheLastGoodSetAndSaysWhy() throws {
        let fixture = try ServeFixture()
        let rules = fixture.folder.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
        let ruleFile = rules.appendingPathComponent("unknown-recipients.yaml")
        try Data(ServeFixture.rule.utf8).write(to: ruleFile)
        #expect(try CommandRunner.run(["rules", "lint", rules.path]).status == 0)
        let serve = try fixture.start(["--rules", rules.path, "--rules-poll", "100ms"])
        defer { serve.stop() }
        #expect(try object(try Curl.run(["\(serve.url)/readyz"]).body)["rules"] as? String == "ok")

        try Data("id: [unclosed\n".utf8).write(to: ruleFile)
        var ready: [String: Any] = [:]
        #expect(ServeProcess.wait(timeout: 10) {
            guard let reply = try? Curl.run(["\(serve.url)/readyz"]), let body = try? object(reply.body) else { return false }
            ready = body
            return (body["rules"] as? String) != "ok"
        })
        #expect((ready["rules"] as? String)?.contains("unknown-recipients.yaml") == true, "\(ready)")
        var metrics = try ServeFixture.parseMetrics(try Curl.run(["\(serve.url)/metrics"]).body)
        #expect(metrics["abuse_ingest_rule_load_failures_total"] == 1)
        #expect(metrics["abuse_ingest_rules_folder_failing"] == 1)
        #expect(serve.log.contains("the last good rule set stays in force"))

        // The last good set still opens a case.
        let log = try fixture.file("attack.log", ServeFixture.postfixLines(client: "203.0.113.77", rejects: 8, marker: "k"))
        let shipped = try CommandRunner.run(["ship", "--url", serve.url, "--token-file", fixture.tokenFile("isp-a"), log])
        #expect(shipped.status == 0, "\(shipped.stderr)")
        var cases: [[String: Any]] = []
        #expect(ServeProcess.wait(timeout: 20) {
            let listed = try? CommandRunner.run(["cases", "list", "--json", "--db", fixture.database.path])
            cases = (listed.flatMap { try? JSONSerialization.jsonObject(with: Data($0.stdout.utf8)) as? [[String: Any]] }) ?? []
            return !cases.isEmpty
        })
        #expect(cases.first?["rule"] as? String == "many-unknown-recipients")
        #expect(cases.first?["subject"] as? String == "203.0.113.77")

        // Mended, it loads again.
        try Data(ServeFixture.rule.replacingOccurrences(of: "at_least: 5", with: "at_least: 6").utf8).write(to: ruleFile)
        #expect(ServeProcess.wait(timeout: 10) { (try? object(try Curl.run(["\(serve.url)/readyz"]).body))?["rules"] as? String == "ok" })
        metrics = try ServeFixture.parseMetrics(try Curl.run(["\(serve.url)/metrics"]).body)
        #expect(metrics["abuse_ingest_rules_folder_failing"] == 0)
        #expect(metrics["abuse_ingest_rule_load_failures_total"] == 1)
        #expect(metrics["abuse_ingest_cases_total{change=\"opened\",rule=\"many-unknown-recipients\"}"] == 1)
    }

    @Test func metricsParseAndCountWhatWasDone() throws {
        let fixture = try ServeFixture()
        let serve = try fixture.start(["--dns", "127.0.0.1:0", "--zone", "reg.test", "--ns", "ns.reg.test=127.0.0.1", "--allow-transfer", "127.0.0.1"], expectLines: 2)
        defer { serve.stop() }
        let dnsPort = try #require(serve.announced.first { $0.hasPrefix("dns ") }.flatMap { Int($0.split(separator: ":").last ?? "") })
        var files: [String] = []
        var lines = 0
        for i in 0..<3 {
            let text = ServeFixture.postfixLines(client: "203.0.113.\(10 + i)", rejects: i + 1, marker: "m\(i)")
            lines += text.split(separator: "\n").count
            files.append(try fixture.file("m\(i).log", text))
        }
        let shipped = try CommandRunner.run(["ship", "--url", serve.url, "--token-file", fixture.tokenFile("isp-a")] + files)
        #expect(shipped.status == 0, "\(shipped.stderr)")
        #expect(try Curl.run(["-X", "PUT", "--data-binary", "x", "\(serve.url)/v1/logs/x.log"]).status == 401)
        let dig = try Requirement.program("dig", debianPackage: "bind9-dnsutils")
        for name in ["2.0.0.127.reg.test", "9.9.9.203.reg.test", "example.org"] {
            let query = Process()
            query.executableURL = URL(fileURLWithPath: dig)
            query.arguments = ["@127.0.0.1", "-p", "\(dnsPort)", "+tries=1", "+time=2", name, "A"]
            query.standardOutput = FileHandle.nullDevice
            try query.run()
            query.waitUntilExit()
        }
        let metrics = try ServeFixture.parseMetrics(try Curl.run(["\(serve.url)/metrics"]).body)
        #expect(metrics["abuse_ingest_uploads_total{reporter=\"isp-a\",status=\"queued\"}"] == 3)
        #expect(metrics["abuse_ingest_files_total{reporter=\"isp-a\",status=\"ingested\"}"] == 3)
        #expect(metrics["abuse_ingest_lines_total{reporter=\"isp-a\"}"] == Double(lines))
        #expect(metrics["abuse_ingest_unauthorized_requests_total"] == 1)
        #expect(metrics["abuse_ingest_dns_queries_total{answer=\"active\"}"] == 1)
        #expect(metrics["abuse_ingest_dns_queries_total{answer=\"unregistered\"}"] == 1)
        #expect(metrics["abuse_ingest_dns_queries_total{answer=\"refused\"}"] == 1)
        #expect(metrics["abuse_ingest_dns_latency_seconds_count"] == 3)
        #expect(metrics["abuse_ingest_dns_xdp_received_total"] == 0, "nothing through AF_XDP without --xdp")
        let bytes = try files.map { try #require(try FileManager.default.attributesOfItem(atPath: $0)[.size] as? NSNumber).doubleValue }.reduce(0, +)
        #expect(metrics["abuse_ingest_upload_bytes_total{reporter=\"isp-a\",status=\"queued\"}"] == bytes)
        let last = try #require(metrics["abuse_ingest_reporter_last_shipment_timestamp_seconds{reporter=\"isp-a\"}"])
        #expect(abs(last - Date().timeIntervalSince1970) < 120)
        // The same DNS server transfers the zone to an allowed secondary.
        let axfr = Process()
        axfr.executableURL = URL(fileURLWithPath: dig)
        axfr.arguments = ["@127.0.0.1", "-p", "\(dnsPort)", "+time=2", "+tries=1", "reg.test", "AXFR"]
        let pipe = Pipe()
        axfr.standardOutput = pipe
        try axfr.run()
        let transfer = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        axfr.waitUntilExit()
        #expect(transfer.contains("IN\tSOA\tns.reg.test. hostmaster.reg.test."), "\(transfer)")
        #expect(transfer.split(separator: "\n").contains { $0.hasPrefix("ns.reg.test.") && $0.hasSuffix("IN\tA\t127.0.0.1") }, "glue: \(transfer)")
    }

    @Test func tlsServesOnlyToClientsThatTrustItsCertificate() throws {
        let fixture = try ServeFixture()
        let certificates = try TestCertificates(in: fixture.folder.appendingPathComponent("tls"))
        let tls = certificates.folder
        let serve = try fixture.start(["--tls-cert", tls.appendingPathComponent("server.pem").path, "--tls-key", tls.appendingPathComponent("server.key").path])
        defer { serve.stop() }
        #expect(serve.url.hasPrefix("https://"))
        #expect(try Curl.run(["--cacert", tls.appendingPathComponent("ca.pem").path, "\(serve.url)/healthz"]).status == 200)
        let wrong = try Curl.run(["--cacert", tls.appendingPathComponent("other-ca.pem").path, "\(serve.url)/healthz"])
        #expect(wrong.exit == 60, "curl must refuse a certificate its CA did not sign: exit \(wrong.exit)")
        let plain = try Curl.run([serve.url.replacingOccurrences(of: "https://", with: "http://") + "/healthz"])
        #expect(plain.status != 200)
        let log = try fixture.file("tls.log", ServeFixture.postfixLines(client: "203.0.113.3", rejects: 2))
        let shipped = try CommandRunner.run(["ship", "--url", serve.url, "--token-file", fixture.tokenFile("isp-a"), "--ca-file", tls.appendingPathComponent("ca.pem").path, log])
        #expect(shipped.status == 0, "\(shipped.stderr)")
        let untrusted = try CommandRunner.run([
            "ship", "--url", serve.url, "--token-file", fixture.tokenFile("isp-a"), "--ca-file", tls.appendingPathComponent("other-ca.pem").path, "--attempts", "1", log,
        ])
        #expect(untrusted.status == 1)
    }

    static var isRoot: Bool { geteuid() == 0 }

    @Test(.enabled(if: isRoot, "mounts a 4 MiB tmpfs as the spool: needs root (CI runs it as root)"))
    func fullDiskAnswers507AndKeepsNothing() throws {
        let fixture = try ServeFixture()
        let small = fixture.folder.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        let mount = try Requirement.program("mount", debianPackage: "util-linux")
        let umount = try Requirement.program("umount", debianPackage: "util-linux")
        func run(_ program: String, _ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "\(program) \(arguments)")
        }
        try run(mount, ["-t", "tmpfs", "-o", "size=4m", "tmpfs", small.path])
        defer { try? run(umount, [small.path]) }
        let serve = try fixture.start(["--spool", small.appendingPathComponent("spool").path, "--min-free-bytes", "1MiB"])
        defer { serve.stop() }
        let token = try fixture.storedToken("isp-a")
        let declared = RawHTTP.exchange(port: serve.port, head: "PUT /v1/logs/big.log HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: 8000000\r\n\r\n", timeout: 5)
        #expect(declared.status == 507, "\(declared.text.prefix(300))")
        let big = try fixture.file("big.log", String(repeating: "y", count: 6 << 20))
        let chunked = try Curl.run(["-X", "PUT", "-H", "Authorization: Bearer \(token)", "-H", "Transfer-Encoding: chunked", "--data-binary", "@\(big)", "\(serve.url)/v1/logs/big.log"])
        #expect(chunked.status == 507 || chunked.exit != 0, "\(chunked.status) \(chunked.body)")
        #expect(!FileManager.default.fileExists(atPath: small.appendingPathComponent("spool/.uploads/isp-a/big.log").path))
        let ready = try object(try Curl.run(["\(serve.url)/readyz"]).body)
        #expect(ready["spool"] as? String == "ok", "the space is back: \(ready)")
        let log = try fixture.file("small.log", ServeFixture.postfixLines(client: "203.0.113.4", rejects: 1))
        let shipped = try CommandRunner.run(["ship", "--url", serve.url, "--token-file", fixture.tokenFile("isp-a"), log])
        #expect(shipped.status == 0, "\(shipped.stderr)")
    }

    @Test func rdapAnswersRegisteredNetworksAndLimitsEachClient() throws {
        let fixture = try ServeFixture()
        let csv = try fixture.file(
            "registry.csv",
            "network,registrant,status,abuse_contact,since\n198.51.100.0/28,R-000123,active,abuse@example.net,2026-01-15T00:00:00Z\n2001:db8::/32,R-000124,suspended,abuse@v6.example,2026-02-01T00:00:00Z\n")
        #expect(try CommandRunner.run(["registry", "import", csv, "--db", fixture.database.path]).status == 0)
        let serve = try fixture.start(["--rdap-per-minute", "3"])
        defer { serve.stop() }
        let found = try Curl.run(["\(serve.url)/rdap/ip/198.51.100.7"])
        #expect(found.status == 200)
        #expect(Curl.header("Content-Type", in: found) == "application/rdap+json")
        let network = try object(found.body)
        #expect(network["objectClassName"] as? String == "ip network")
        #expect(network["startAddress"] as? String == "198.51.100.0")
        #expect(network["endAddress"] as? String == "198.51.100.15")
        #expect(network["status"] as? [String] == ["active"])
        let entities = try #require(network["entities"] as? [[String: Any]])
        let abuse = try #require(entities.first { ($0["roles"] as? [String]) == ["abuse"] })
        #expect("\(abuse["vcardArray"] ?? "")".contains("abuse@example.net"))
        let v6 = try object(try Curl.run(["\(serve.url)/rdap/ip/2001:db8::25"]).body)
        #expect(v6["endAddress"] as? String == "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")
        #expect((v6["status"] as? [String])?.contains("inactive") == true)
        let missing = try Curl.run(["\(serve.url)/rdap/ip/203.0.113.1"])
        #expect(missing.status == 404)
        #expect(try object(missing.body)["errorCode"] as? Int == 404)
        let limited = try Curl.run(["\(serve.url)/rdap/ip/198.51.100.7"])
        #expect(limited.status == 429)
        #expect(Curl.header("Retry-After", in: limited) != nil)
    }

    /// The database and the data folder named in the config file (`db`, `data_dir`), as a
    /// host's service unit would; `--db` still wins, and a password is never printed.
    @Test(arguments: Backend.allCases) func configFileNamesTheDatabaseAndTheDataFolder(_ backend: Backend) throws {
        let fixture = try ServeFixture(backend: backend)
        defer { fixture.postgres?.remove() }
        let config = fixture.folder.appendingPathComponent("serve.yaml")
        let database = fixture.postgres?.url ?? fixture.database.path
        try Data("db: \(database)\ndata_dir: \(fixture.folder.path)\nspool_settle: 0s\nspool_poll: 200ms\n".utf8).write(to: config)
        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-serve-cwd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let serve = try ServeProcess(target: ["--config", config.path], arguments: [], environment: [:], workingDirectory: elsewhere)
        defer { serve.stop() }
        let ship = try CommandRunner.run(["ship", "--url", serve.url, "--token-file", fixture.tokenFile("isp-a"), "--json", try fixture.file("night.log", ServeFixture.postfixLines(client: "203.0.113.7", rejects: 3))])
        #expect(ship.status == 0 && ship.stdout.contains("\"status\":\"ingested\""), "\(ship.stderr)")
        let store = try fixture.storeQuery()
        #expect(try store("SELECT COUNT(*) FROM shipment WHERE status = 'ingested'") == 1, "ingested into the configured database")
        #expect(FileManager.default.fileExists(atPath: fixture.folder.appendingPathComponent("archive").path), "archived in the configured data folder")
        #expect(!FileManager.default.fileExists(atPath: elsewhere.appendingPathComponent("abuse-ingest.db").path), "no database made in the working folder")

        try Data("db: postgres://someone:hunter2@127.0.0.1:1/registry\n".utf8).write(to: config)
        let printed = try CommandRunner.run(["serve", "--config", config.path, "--print-config"])
        #expect(printed.status == 0 && printed.stdout.contains("db: postgres://someone:***@127.0.0.1:1/registry"), "\(printed.stdout)")
        #expect(!printed.stdout.contains("hunter2"))
        let flag = try CommandRunner.run(["serve", "--config", config.path, "--db", fixture.database.path, "--print-config"])
        #expect(flag.stdout.contains("db: \(fixture.database.path)"), "--db wins: \(flag.stdout)")
    }

    @Test func configFileFlagsAndHangupReload() throws {
        let fixture = try ServeFixture()
        let config = fixture.folder.appendingPathComponent("serve.yaml")
        try Data("evaluate_every: 10m\nmax_upload_bytes: 64MiB\nreporters:\n  isp-b:\n    max_upload_bytes: 1KiB\n".utf8).write(to: config)
        let printed = try CommandRunner.run(["serve", "--db", fixture.database.path, "--config", config.path, "--print-config", "--evaluate-every", "90s"])
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.contains("evaluate_every: 90s"))
        #expect(printed.stdout.contains("max_upload_bytes: 67108864"))
        let transfers = try CommandRunner.run([
            "serve", "--db", fixture.database.path, "--config", config.path, "--print-config", "--allow-transfer", "10.0.0.0/8", "--allow-transfer", "192.0.2.1",
        ])
        #expect(transfers.stdout.contains("allow_transfer:\n- 10.0.0.0/8\n- 192.0.2.1"), "\(transfers.stdout)")
        #expect(try CommandRunner.run(["serve", "--db", fixture.database.path, "--allow-transfer", "example.org"]).status == 2)
        let bad = fixture.folder.appendingPathComponent("bad.yaml")
        try Data("http: 127.0.0.1:0\nevaluate_evry: 5m\n".utf8).write(to: bad)
        let refused = try CommandRunner.run(["serve", "--db", fixture.database.path, "--config", bad.path])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("evaluate_evry"))
        #expect(try CommandRunner.run(["serve", "--db", fixture.database.path, "--max-upload-bytes", "lots"]).status == 2)

        let serve = try fixture.start(["--config", config.path, "--log-format", "json"])
        defer { serve.stop() }
        let twoKiB = try fixture.file("two.log", String(repeating: "z", count: 2048))
        let b = try fixture.storedToken("isp-b")
        #expect(try Curl.run(["-X", "PUT", "-H", "Authorization: Bearer \(b)", "--data-binary", "@\(twoKiB)", "\(serve.url)/v1/logs/two.log"]).status == 413)
        try Data("evaluate_every: 10m\nmax_upload_bytes: 64MiB\n".utf8).write(to: config)
        kill(serve.process.processIdentifier, SIGHUP)
        #expect(ServeProcess.wait(timeout: 10) { serve.log.contains("configuration reloaded") })
        #expect(try Curl.run(["-X", "PUT", "-H", "Authorization: Bearer \(b)", "--data-binary", "@\(twoKiB)", "\(serve.url)/v1/logs/two.log"]).status == 202)
        // --log-format json: every line of standard error is one JSON object.
        let lines = serve.log.split(separator: "\n")
        #expect(lines.count >= 3)
        for line in lines {
            let entry = try object(String(line))
            #expect(entry["level"] is String && entry["message"] is String && entry["time"] is String, "\(line)")
        }
        #expect(lines.contains { $0.contains("\"message\":\"configuration reloaded\"") })
    }

    /// At `compact_at`, once its spool is idle, the service merges a reporter's segments of a
    /// past week into one, and says so in its log.
    @Test func compactsPastWeeksAtTheirHour() throws {
        let fixture = try ServeFixture()
        // The hour from compact_at may run past midnight (23:59 works as 03:30 does).
        let now = Date()
        let minute = Int(now.timeIntervalSince1970) % 86_400 / 60
        // Tuesday and Thursday of the week three weeks back (weeks start on Monday).
        let today = Int64(now.timeIntervalSince1970) / 86_400
        let monday = today - (today + 3) % 7 - 21
        for (n, day) in [monday + 1, monday + 3].enumerated() {
            let minutesAgo = Int((now.timeIntervalSince1970 - Double(day * 86_400 + 36_000)) / 60)
            let log = try fixture.file("week-\(n).log", ServeFixture.postfixLines(client: "203.0.113.\(n + 5)", rejects: 3, minutesAgo: minutesAgo, marker: "w\(n)"))
            let ingested = try CommandRunner.run(["ingest", "--reporter", "isp-a", "--db", fixture.database.path, log])
            #expect(ingested.status == 0, "\(ingested.stderr)")
        }
        #expect(try fixture.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM segment") } == 2)
        let at = String(format: "%02d:%02d", minute / 60, minute % 60)
        let serve = try fixture.start(["--compact-at", at, "--spool-poll", "100ms"])
        defer { serve.stop() }
        #expect(ServeProcess.wait(timeout: 20) { serve.log.contains("compaction done") }, "\(serve.log)")
        #expect(serve.log.contains("compacted a week") && serve.log.contains("reporter=isp-a"), "\(serve.log)")
        #expect(try fixture.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM segment") } == 1)
        #expect(try fixture.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM segment_member") } == 2)
        let metrics = try ServeFixture.parseMetrics(try Curl.run(["\(serve.url)/metrics"]).body)
        #expect(metrics["abuse_ingest_compacted_weeks_total{outcome=\"merged\"}"] == 1, "\(metrics.filter { $0.key.contains("compact") || $0.key.contains("segments") })")
        #expect(metrics["abuse_ingest_compacted_weeks_total{outcome=\"left\"}"] == 0)
        #expect(metrics["abuse_ingest_segments"] == 1)
        let shown = try CommandRunner.run(["ip", "show", "203.0.113.6", "--json", "--db", fixture.database.path])
        #expect(shown.stdout.contains("\"rejected.unknown_recipient\":3"), "\(shown.stdout)")
    }
}
