import Foundation
import GRDB
import Testing
import TestSupport

/// `serve` as operators run it: rules reloads, metrics, signals, crashes, TLS, a full disk,
/// the public lookup and DNS from the same state.
@Suite(.serialized) struct ServeOperationTests {
    static let rule = """
        id: many-unknown-recipients
        description: An unregistered host writes to many unknown recipients
        applies_to: [unregistered]
        subject: ip
        window: 24h
        when:
          - count: rejected.unknown_recipient
            at_least: 5
        action: open_case
        severity: low

        """

    /// Prometheus samples as `name{label="value",…}` → value, parsed by prometheus_client.
    static func parseMetrics(_ text: String) throws -> [String: Double] {
        let python = try Requirement.python(modules: ["prometheus_client"], pipPackage: "prometheus_client")
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
                    out[s.name + ("{" + labels + "}" if labels else "")] = s.value
            print(json.dumps(out))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "prometheus_client cannot parse /metrics: \(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Double])
    }

    @Test func badRulesEditKeepsTheLastGoodSetAndSaysWhy() throws {
        let fixture = try ServeFixture()
        let rules = fixture.folder.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
        let ruleFile = rules.appendingPathComponent("unknown-recipients.yaml")
        try Data(Self.rule.utf8).write(to: ruleFile)
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
        var metrics = try Self.parseMetrics(try Curl.run(["\(serve.url)/metrics"]).body)
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
        try Data(Self.rule.replacingOccurrences(of: "at_least: 5", with: "at_least: 6").utf8).write(to: ruleFile)
        #expect(ServeProcess.wait(timeout: 10) { (try? object(try Curl.run(["\(serve.url)/readyz"]).body))?["rules"] as? String == "ok" })
        metrics = try Self.parseMetrics(try Curl.run(["\(serve.url)/metrics"]).body)
        #expect(metrics["abuse_ingest_rules_folder_failing"] == 0)
        #expect(metrics["abuse_ingest_rule_load_failures_total"] == 1)
        #expect(metrics["abuse_ingest_cases_total{change=\"opened\",rule=\"many-unknown-recipients\"}"] == 1)
    }

    @Test func metricsParseAndCountWhatWasDone() throws {
        let fixture = try ServeFixture()
        let serve = try fixture.start(["--dns", "127.0.0.1:0", "--zone", "reg.test"], expectLines: 2)
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
        let metrics = try Self.parseMetrics(try Curl.run(["\(serve.url)/metrics"]).body)
        #expect(metrics["abuse_ingest_uploads_total{reporter=\"isp-a\",status=\"queued\"}"] == 3)
        #expect(metrics["abuse_ingest_files_total{reporter=\"isp-a\",status=\"ingested\"}"] == 3)
        #expect(metrics["abuse_ingest_lines_total{reporter=\"isp-a\"}"] == Double(lines))
        #expect(metrics["abuse_ingest_unauthorized_requests_total"] == 1)
        #expect(metrics["abuse_ingest_dns_queries_total{answer=\"active\"}"] == 1)
        #expect(metrics["abuse_ingest_dns_queries_total{answer=\"unregistered\"}"] == 1)
        #expect(metrics["abuse_ingest_dns_queries_total{answer=\"refused\"}"] == 1)
        #expect(metrics["abuse_ingest_dns_latency_seconds_count"] == 3)
        let bytes = try files.map { try #require(try FileManager.default.attributesOfItem(atPath: $0)[.size] as? NSNumber).doubleValue }.reduce(0, +)
        #expect(metrics["abuse_ingest_upload_bytes_total{reporter=\"isp-a\",status=\"queued\"}"] == bytes)
        let last = try #require(metrics["abuse_ingest_reporter_last_shipment_timestamp_seconds{reporter=\"isp-a\"}"])
        #expect(abs(last - Date().timeIntervalSince1970) < 120)
    }

    @Test func sigtermDuringAnUploadAnswers503AndExitsInTime() throws {
        let fixture = try ServeFixture()
        let serve = try fixture.start()
        let token = try fixture.storedToken("isp-a")
        let port = serve.port
        let upload = Thread {
            _ = RawHTTP.exchange(
                port: port, head: "PUT /v1/logs/inflight.log HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: 100000\r\n\r\n",
                body: Array(repeating: 66, count: 5000), timeout: 12)
        }
        upload.start()
        #expect(ServeProcess.wait(timeout: 10) { FileManager.default.fileExists(atPath: fixture.spool.appendingPathComponent(".uploads/isp-a/inflight.log").path) })
        Thread.sleep(forTimeInterval: 0.3)
        let signalled = Date()
        kill(serve.process.processIdentifier, SIGTERM)
        var refused: Curl.Reply?
        _ = ServeProcess.wait(timeout: 5) {
            let reply = try? Curl.run(["\(serve.url)/healthz"])
            if reply?.status == 503 { refused = reply }
            return refused != nil || !serve.process.isRunning
        }
        let answer = try #require(refused, "no 503 while draining")
        #expect(Curl.header("Retry-After", in: answer) != nil)
        #expect(ServeProcess.wait(timeout: 10) { !serve.process.isRunning })
        #expect(Date().timeIntervalSince(signalled) < 10)
        // Nothing half-written went into the spool or the store; the partial waits.
        #expect(try fixture.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM upload") } == 0)
        #expect(!FileManager.default.fileExists(atPath: fixture.spool.appendingPathComponent("isp-a/inflight.log").path))
        let restarted = try fixture.start()
        defer { restarted.stop() }
        let head = try Curl.run(["-I", "-H", "Authorization: Bearer \(token)", "\(restarted.url)/v1/logs/inflight.log"])
        #expect(head.status == 204)
        #expect(Curl.header("Upload-Offset", in: head) == "5000")
    }

    @Test func killDuringUploadsAndIngestLosesAndRepeatsNothing() throws {
        let fixture = try ServeFixture()
        var files: [String: [String]] = ["isp-a": [], "isp-b": []]
        for i in 0..<4 {
            for reporter in ["isp-a", "isp-b"] {
                let client = reporter == "isp-a" ? "203.0.113.\(20 + i)" : "203.0.113.\(40 + i)"
                files[reporter]!.append(try fixture.file("\(reporter)-\(i).log", ServeFixture.postfixLines(client: client, rejects: 10 + i, marker: "\(reporter)\(i)")))
            }
        }
        let marker = fixture.folder.appendingPathComponent("paused")
        let serve = try fixture.start(environment: ["ABUSE_INGEST_TEST_PAUSE": "isp-a-1.log:5:\(marker.path)"])
        // isp-a's first files: the second stops ingest in its fifth line.
        let first = try CommandRunner.start(["ship", "--url", serve.url, "--token-file", fixture.tokenFile("isp-a"), "--parallel", "1", files["isp-a"]![0], files["isp-a"]![1]])
        #expect(ServeProcess.wait(timeout: 30) { FileManager.default.fileExists(atPath: marker.path) }, "\(serve.log)")
        // An acknowledged upload queued behind it, and one cut in the middle.
        let token = try fixture.storedToken("isp-a")
        let queued = try Curl.run(["-X", "PUT", "-H", "Authorization: Bearer \(token)", "--data-binary", "@\(files["isp-a"]![2])", "\(serve.url)/v1/logs/isp-a-2.log"])
        #expect(queued.status == 202)
        let cutBytes = Array(try Data(contentsOf: URL(fileURLWithPath: files["isp-a"]![3])))
        let port = serve.port
        let stalled = Thread {
            _ = RawHTTP.exchange(
                port: port, head: "PUT /v1/logs/isp-a-3.log HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: \(cutBytes.count)\r\n\r\n",
                body: Array(cutBytes[0..<(cutBytes.count / 2)]), timeout: 10)
        }
        stalled.start()
        let partial = fixture.spool.appendingPathComponent(".uploads/isp-a/isp-a-3.log")
        #expect(ServeProcess.wait(timeout: 10) {
            (try? FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? NSNumber)?.intValue == cutBytes.count / 2
        })
        // Killed with the upload in flight, the ingest paused inside a file, one upload queued.
        serve.crash()
        CommandRunner.stop(first, grace: 1)

        let restarted = try fixture.start()
        defer { restarted.stop() }
        // The cut upload's bytes survived the crash, for a resume.
        let held = try Curl.run(["-I", "-H", "Authorization: Bearer \(token)", "\(restarted.url)/v1/logs/isp-a-3.log"])
        #expect(held.status == 204)
        #expect(Curl.header("Upload-Offset", in: held) == "\(cutBytes.count / 2)")
        // The interrupted upload resumes; isp-a ships all its files again (the ones the registry
        // has are duplicates), isp-b ships its own.
        let shipA = try CommandRunner.run(["ship", "--url", restarted.url, "--token-file", fixture.tokenFile("isp-a"), "--json"] + files["isp-a"]!)
        #expect(shipA.status == 0, "\(shipA.stderr)")
        let shipB = try CommandRunner.run(["ship", "--url", restarted.url, "--token-file", fixture.tokenFile("isp-b")] + files["isp-b"]!)
        #expect(shipB.status == 0, "\(shipB.stderr)")
        #expect(ServeProcess.wait(timeout: 30) {
            (try? fixture.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM upload WHERE status IN ('queued', 'ingesting')") }) == 0
        })
        let statuses = try fixture.read { db in try String.fetchAll(db, sql: "SELECT name || ' ' || status FROM upload WHERE reporter_id = 'isp-a' ORDER BY name") }
        #expect(statuses == ["isp-a-0.log ingested", "isp-a-1.log ingested", "isp-a-2.log ingested", "isp-a-3.log ingested"], "\(statuses)")

        // The store equals a spool ingest of the same files, and is whole.
        let reference = try ServeFixture()
        for reporter in ["isp-a", "isp-b"] {
            let ingested = try CommandRunner.run(["ingest", "--reporter", reporter, "--db", reference.database.path] + files[reporter]!)
            #expect(ingested.status == 0, "\(ingested.stderr)")
        }
        let tables: Set<String> = ["reporter", "shipment", "segment", "segment_block"]
        let served = try fixture.read { _ in () }
        _ = served
        let ours = try StoreDump.dump(try DatabasePool(path: fixture.database.path), only: tables)
        let theirs = try StoreDump.dump(try DatabasePool(path: reference.database.path), only: tables)
        #expect(ours == theirs)
        let pool = try DatabasePool(path: fixture.database.path)
        #expect(try StoreDump.integrity(pool) == "ok")
        #expect(try StoreDump.orphans(pool) == 0)
        #expect(StoreDump.strayFiles(archive: fixture.folder.appendingPathComponent("archive")).isEmpty)
    }

    @Test func shipResumesWhenTheServerDiesMidUpload() throws {
        let fixture = try ServeFixture()
        let port = freePort()
        let serve = try fixture.start(["--http", "127.0.0.1:\(port)"])
        // 300 MB of log lines: long enough on the wire to be cut.
        var block = ""
        while block.utf8.count < 1 << 20 { block += ServeFixture.postfixLines(client: "203.0.113.200", rejects: 5, marker: "b\(block.utf8.count)") }
        let path = fixture.folder.appendingPathComponent("in/large.log")
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path.path, contents: nil)
        let handle = try FileHandle(forWritingTo: path)
        for _ in 0..<300 { handle.write(Data(block.utf8)) }
        try handle.close()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path.path)[.size] as? NSNumber).int64Value
        let ship = try CommandRunner.start(["ship", "--url", serve.url, "--token-file", fixture.tokenFile("isp-a"), "--json", path.path])
        let partial = fixture.spool.appendingPathComponent(".uploads/isp-a/large.log")
        #expect(ServeProcess.wait(timeout: 60) {
            ((try? FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? NSNumber)?.int64Value ?? 0) > 20 << 20
        })
        serve.crash()
        let restarted = try fixture.start(["--http", "127.0.0.1:\(port)"])
        defer { restarted.stop() }
        let out = (ship.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
        let err = (ship.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile()
        ship.waitUntilExit()
        #expect(ship.terminationStatus == 0, "\(String(decoding: err, as: UTF8.self))")
        let outcome = try object(String(decoding: out, as: UTF8.self))
        #expect(outcome["status"] as? String == "ingested")
        #expect(outcome["lines"] as? Int ?? 0 > 0)
        // It resumed: the restarted server received only the rest of the file.
        let metrics = try Self.parseMetrics(try Curl.run(["\(restarted.url)/metrics"]).body)
        let received = try #require(metrics["abuse_ingest_upload_bytes_total{reporter=\"isp-a\",status=\"queued\"}"])
        #expect(received > 0 && received < Double(size - (20 << 20)), "received \(received) of \(size)")
    }

    @Test func killDuringEvaluationLeavesTheCasesOfOneCleanRun() throws {
        let fixture = try ServeFixture()
        let rules = fixture.folder.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
        try Data(Self.rule.utf8).write(to: rules.appendingPathComponent("unknown-recipients.yaml"))
        // Many subjects, so that an evaluation takes a while.
        var files: [String] = []
        for k in 0..<4 {
            var text = ""
            for i in 0..<250 { text += ServeFixture.postfixLines(client: "10.\(k).\(i / 250).\(i % 250 + 1)", rejects: 6, marker: "e\(k)-\(i)") }
            files.append(try fixture.file("eval-\(k).log", text))
        }
        // Ingested without evaluating; then the service is killed at random moments of the
        // evaluation each start runs.
        let ingested = try CommandRunner.run(["ingest", "--reporter", "isp-a", "--db", fixture.database.path] + files)
        #expect(ingested.status == 0, "\(ingested.stderr)")
        #expect(try fixture.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM enforcement_case") } == 0)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<4 {
            let serve = try fixture.start(["--rules", rules.path, "--evaluate-every", "1h"])
            Thread.sleep(forTimeInterval: Double.random(in: 0...0.4, using: &generator))
            serve.crash()
        }
        let serve = try fixture.start(["--rules", rules.path, "--evaluate-every", "1h"])
        defer { serve.stop() }
        #expect(ServeProcess.wait(timeout: 60) { serve.log.contains("evaluated") })
        let cases = try fixture.read { db in try String.fetchAll(db, sql: "SELECT subject || ' ' || rule_id || ' ' || status FROM enforcement_case ORDER BY subject") }
        #expect(cases.count == 1000)
        #expect(Set(cases).count == 1000, "one case per subject and rule")
        let audit = try fixture.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit WHERE action = 'opened'") }
        #expect(audit == 1000)
        let pool = try DatabasePool(path: fixture.database.path)
        #expect(try StoreDump.integrity(pool) == "ok")
    }

    @Test func twentyReportersShipFiftyFilesEachAtOnce() throws {
        let reporters = (1...20).map { String(format: "isp-%02d", $0) }
        let fixture = try ServeFixture(reporters: reporters)
        let serve = try fixture.start(["--max-concurrent-uploads", "4"])
        defer { serve.stop() }
        var files: [String: [String]] = [:]
        for (r, reporter) in reporters.enumerated() {
            files[reporter] = try (0..<50).map { i in
                try fixture.file("\(reporter)/night-\(i).log", ServeFixture.postfixLines(client: "198.51.\(r).\(i + 1)", rejects: i % 7, marker: "\(reporter)-\(i)"))
            }
        }
        let shippers = try reporters.map { reporter in
            try CommandRunner.start(["ship", "--url", serve.url, "--token-file", fixture.tokenFile(reporter), "--parallel", "3", "--json"] + files[reporter]!)
        }
        var outputs: [String] = []
        for process in shippers {
            let out = (process.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
            let err = (process.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(String(decoding: err, as: UTF8.self))")
            outputs += String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        #expect(outputs.count == 1000)
        #expect(outputs.allSatisfy { $0.contains("\"status\":\"ingested\"") })
        #expect(try fixture.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM shipment WHERE status = 'ingested'") } == 1000)

        let reference = try ServeFixture(reporters: reporters)
        for reporter in reporters {
            let ingested = try CommandRunner.run(["ingest", "--reporter", reporter, "--db", reference.database.path] + files[reporter]!)
            #expect(ingested.status == 0, "\(ingested.stderr)")
        }
        let tables: Set<String> = ["reporter", "shipment", "segment", "segment_block"]
        #expect(try StoreDump.dump(try DatabasePool(path: fixture.database.path), only: tables) == StoreDump.dump(try DatabasePool(path: reference.database.path), only: tables))
    }

    @Test func tlsServesOnlyToClientsThatTrustItsCertificate() throws {
        let fixture = try ServeFixture()
        let openssl = try Requirement.program("openssl", debianPackage: "openssl")
        let tls = fixture.folder.appendingPathComponent("tls")
        try FileManager.default.createDirectory(at: tls, withIntermediateDirectories: true)
        func run(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: openssl)
            process.arguments = arguments
            process.currentDirectoryURL = tls
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "openssl \(arguments.joined(separator: " "))")
        }
        for ca in ["ca", "other-ca"] {
            try run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(ca).key", "-out", "\(ca).pem", "-days", "2", "-subj", "/CN=\(ca)"])
        }
        try run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"])
        try Data("subjectAltName=IP:127.0.0.1\n".utf8).write(to: tls.appendingPathComponent("san.ext"))
        try run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext"])
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

    @Test func configFileFlagsAndHangupReload() throws {
        let fixture = try ServeFixture()
        let config = fixture.folder.appendingPathComponent("serve.yaml")
        try Data("evaluate_every: 10m\nmax_upload_bytes: 64MiB\nreporters:\n  isp-b:\n    max_upload_bytes: 1KiB\n".utf8).write(to: config)
        let printed = try CommandRunner.run(["serve", "--db", fixture.database.path, "--config", config.path, "--print-config", "--evaluate-every", "90s"])
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.contains("evaluate_every: 90s"))
        #expect(printed.stdout.contains("max_upload_bytes: 67108864"))
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
}
