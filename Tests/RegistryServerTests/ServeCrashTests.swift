import Foundation
import GRDB
import Testing
import TestSupport

/// `serve` stopped and killed while it works, and under twenty reporters at once: nothing
/// acknowledged is lost, nothing is ingested twice, the store equals a spool ingest.
@Suite(.serialized) struct ServeCrashTests {
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
        let tables: Set<String> = ["reporter", "shipment", "segment", "segment_member", "segment_block"]
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
        _ = FileManager.default.createFile(atPath: path.path, contents: nil)
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
        let metrics = try ServeFixture.parseMetrics(try Curl.run(["\(restarted.url)/metrics"]).body)
        let received = try #require(metrics["abuse_ingest_upload_bytes_total{reporter=\"isp-a\",status=\"queued\"}"])
        #expect(received > 0 && received < Double(size - (20 << 20)), "received \(received) of \(size)")
    }

    @Test func killDuringEvaluationLeavesTheCasesOfOneCleanRun() throws {
        let fixture = try ServeFixture()
        let rules = fixture.folder.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
        try Data(ServeFixture.rule.utf8).write(to: rules.appendingPathComponent("unknown-recipients.yaml"))
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
        let tables: Set<String> = ["reporter", "shipment", "segment", "segment_member", "segment_block"]
        #expect(try StoreDump.dump(try DatabasePool(path: fixture.database.path), only: tables) == StoreDump.dump(try DatabasePool(path: reference.database.path), only: tables))
    }
}
