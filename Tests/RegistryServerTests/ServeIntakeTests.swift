import Crypto
import Foundation
import GRDB
import Testing
import TestSupport

/// `serve`'s HTTP intake (FORMATS.md §7.1) against a real process on a real socket.
@Suite(.serialized) struct ServeIntakeTests {
    static func digest(_ path: String) throws -> (hex: String, field: String) {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let digest = SHA256.hash(data: bytes)
        return (digest.map { String(format: "%02x", $0) }.joined(), "sha-256=:\(Data(digest).base64EncodedString()):")
    }

    /// Polls `GET /v1/logs/{sha}` until ingest decided.
    static func outcome(_ serve: ServeProcess, token: String, sha: String, timeout: Double = 60) throws -> [String: Any] {
        var last: [String: Any] = [:]
        _ = try ServeProcess.wait(timeout: timeout) {
            let reply = try Curl.run(["-H", "Authorization: Bearer \(token)", "\(serve.url)/v1/logs/\(sha)"])
            guard reply.status == 200 else { return false }
            last = try object(reply.body)
            return !["queued", "ingesting"].contains(last["status"] as? String ?? "")
        }
        return last
    }

    @Test(arguments: Backend.allCases) func uploadIsIngestedAndShownToItsReporterOnly(_ backend: Backend) throws {
        let fixture = try ServeFixture(backend: backend)
        defer { fixture.postgres?.remove() }
        let serve = try fixture.start()
        defer { serve.stop() }
        let file = try fixture.file("mail.log", ServeFixture.postfixLines(client: "203.0.113.9", rejects: 4, marker: "a"))
        let (sha, field) = try Self.digest(file)
        let token = try fixture.storedToken("isp-a")
        let put = try Curl.run(["-X", "PUT", "-H", "Authorization: Bearer \(token)", "-H", "Content-Digest: \(field)", "--data-binary", "@\(file)", "\(serve.url)/v1/logs/mail.log"])
        #expect(put.status == 202, "\(put.body)")
        let accepted = try object(put.body)
        #expect(accepted["status"] as? String == "queued")
        #expect(accepted["sha256"] as? String == sha)
        #expect(accepted["url"] as? String == "/v1/logs/\(sha)")
        // One long poll answers once ingest has decided.
        let done = try object(try Curl.run(["-H", "Authorization: Bearer \(token)", "\(serve.url)/v1/logs/\(sha)?wait=30"]).body)
        #expect(done["status"] as? String == "ingested", "\(done)")
        #expect(done["lines"] as? Int == 6)
        #expect(done["events"] as? Int == 6)
        #expect(done["name"] as? String == "mail.log")
        // The spool file went to done/, as with ingest --spool.
        #expect(FileManager.default.fileExists(atPath: fixture.spool.appendingPathComponent("done/isp-a/mail.log").path))

        // The same bytes again: a duplicate, and nothing queued.
        let again = try Curl.run(["-X", "PUT", "-H", "Authorization: Bearer \(token)", "--data-binary", "@\(file)", "\(serve.url)/v1/logs/mail-again.log"])
        #expect(again.status == 202)
        #expect(try object(again.body)["status"] as? String == "duplicate")

        // Another reporter sees neither the upload nor its list.
        let other = try fixture.storedToken("isp-b")
        #expect(try Curl.run(["-H", "Authorization: Bearer \(other)", "\(serve.url)/v1/logs/\(sha)"]).status == 404)
        let otherList = try object(try Curl.run(["-H", "Authorization: Bearer \(other)", "\(serve.url)/v1/logs"]).body)
        #expect((otherList["logs"] as? [Any])?.isEmpty == true)
        let list = try object(try Curl.run(["-H", "Authorization: Bearer \(token)", "\(serve.url)/v1/logs?since=2026-01-01T00:00:00Z"]).body)
        #expect((list["logs"] as? [[String: Any]])?.map { $0["sha256"] as? String } == [sha])
        let future = try object(try Curl.run(["-H", "Authorization: Bearer \(token)", "\(serve.url)/v1/logs?since=2099-01-01T00:00:00Z"]).body)
        #expect((future["logs"] as? [Any])?.isEmpty == true)
        #expect(try Curl.run(["-H", "Authorization: Bearer \(token)", "\(serve.url)/v1/logs?since=yesterday"]).status == 400)
    }

    @Test func refusesEveryBadCredentialAlike() throws {
        let fixture = try ServeFixture()
        let revoked = try fixture.token(for: "isp-a", write: false)
        let expired = try fixture.token(for: "isp-a", expires: "2020-01-01T00:00:00Z", write: false)
        let listing = try CommandRunner.run(["reporters", "token", "list", "isp-a", "--json", "--db", fixture.database.path])
        let tokens = try #require(try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]])
        #expect(tokens.count == 3)
        #expect(tokens.filter { $0["state"] as? String == "expired" }.count == 1)
        let revokedID = try #require(revoked.split(separator: "_").dropFirst().prefix(2).joined(separator: "_") as String?)
        let revoke = try CommandRunner.run(["reporters", "token", "revoke", "isp-a", revokedID, "--db", fixture.database.path])
        #expect(revoke.status == 0, "\(revoke.stderr)")
        // Neither the token nor its secret is stored; only digests.
        let stored = try fixture.read { db in try String.fetchAll(db, sql: "SELECT quote(sha256) || id FROM reporter_token") }.joined()
        #expect(!stored.contains(String(revoked.suffix(43))))
        let audit = try fixture.read { db in try String.fetchAll(db, sql: "SELECT action FROM service_audit ORDER BY id") }
        #expect(audit == ["token.create", "token.create", "token.create", "token.create", "token.revoke"])

        let serve = try fixture.start()
        defer { serve.stop() }
        let file = try fixture.file("x.log", "hello\n")
        let wellFormedUnknown = "aitk_tok_0123456789abcdef_" + String(repeating: "A", count: 43)
        var bodies: Set<String> = []
        for header in [nil, "Bearer \(wellFormedUnknown)", "Bearer \(revoked)", "Bearer \(expired)", "Bearer garbage", "Basic dXNlcjpwYXNz"] {
            var arguments = ["-X", "PUT", "--data-binary", "@\(file)", "\(serve.url)/v1/logs/x.log"]
            if let header { arguments += ["-H", "Authorization: \(header)"] }
            let reply = try Curl.run(arguments)
            #expect(reply.status == 401, "\(header ?? "no token"): \(reply.status)")
            #expect(Curl.header("WWW-Authenticate", in: reply) != nil)
            bodies.insert(reply.body)
        }
        #expect(bodies.count == 1, "every refusal reads the same: \(bodies)")
        // The valid token works, and nothing of the refused requests was kept.
        let good = try Curl.run(["-X", "PUT", "-H", "Authorization: Bearer \(try fixture.storedToken("isp-a"))", "--data-binary", "@\(file)", "\(serve.url)/v1/logs/x.log"])
        #expect(good.status == 202)
        #expect(try fixture.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM upload") } == 1)
    }

    @Test func refusesHostileNamesAndWrongDigestsKeepingNothing() throws {
        let fixture = try ServeFixture()
        let serve = try fixture.start()
        defer { serve.stop() }
        let token = try fixture.storedToken("isp-a")
        let file = try fixture.file("x.log", ServeFixture.postfixLines(client: "203.0.113.5", rejects: 1))
        for name in ["..%2F..%2Fetc%2Fpasswd", ".hidden", "a%20b", String(repeating: "n", count: 201), "%2E%2E", "caf%C3%A9.log", "x%00y"] {
            let reply = try Curl.run(["-X", "PUT", "-H", "Authorization: Bearer \(token)", "--data-binary", "@\(file)", "\(serve.url)/v1/logs/\(name)"])
            #expect(reply.status == 400 || reply.status == 404, "\(name): \(reply.status) \(reply.body)")
        }
        let wrong = "sha-256=:\(Data(SHA256.hash(data: Data("other".utf8))).base64EncodedString()):"
        let mismatch = try Curl.run(["-X", "PUT", "-H", "Authorization: Bearer \(token)", "-H", "Content-Digest: \(wrong)", "--data-binary", "@\(file)", "\(serve.url)/v1/logs/x.log"])
        #expect(mismatch.status == 400)
        #expect((try object(mismatch.body)["error"] as? String)?.contains("Content-Digest") == true)
        let malformed = try Curl.run(["-X", "PUT", "-H", "Authorization: Bearer \(token)", "-H", "Content-Digest: sha-256=:abc:", "--data-binary", "@\(file)", "\(serve.url)/v1/logs/x.log"])
        #expect(malformed.status == 400)
        // Nothing was kept: no upload, no spool file, no partial.
        #expect(try fixture.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM upload") } == 0)
        let left = FileManager.default.enumerator(atPath: fixture.spool.path)?.allObjects.compactMap { $0 as? String }.filter { $0.hasSuffix(".log") || $0.contains("passwd") } ?? []
        #expect(left.isEmpty, "\(left)")
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.appendingPathComponent("etc/passwd").path))
    }

    @Test func boundsHeadersBodiesAndStalls() throws {
        let fixture = try ServeFixture()
        let serve = try fixture.start(["--max-upload-bytes", "1MiB", "--upload-idle-timeout", "1s"])
        defer { serve.stop() }
        let token = try fixture.storedToken("isp-a")
        let auth = "Authorization: Bearer \(token)\r\n"

        let manyHeaders = (0..<10_000).map { "X-H\($0): v\r\n" }.joined()
        let many = RawHTTP.exchange(port: serve.port, head: "GET /healthz HTTP/1.1\r\nHost: x\r\n\(manyHeaders)\r\n", timeout: 5)
        #expect(many.status != 200, "10,000 headers must be refused: \(many.text.prefix(200))")
        let huge = RawHTTP.exchange(port: serve.port, head: "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 1 << 20))\r\n\r\n", timeout: 5)
        #expect(huge.status != 200, "a 1 MB header must be refused: \(huge.text.prefix(200))")

        // Over the size limit: declared (refused before the body) and chunked (refused once exceeded).
        let declared = RawHTTP.exchange(port: serve.port, head: "PUT /v1/logs/big.log HTTP/1.1\r\nHost: x\r\n\(auth)Content-Length: 2097152\r\n\r\n", timeout: 5)
        #expect(declared.status == 413, "\(declared.text.prefix(300))")
        let big = try fixture.file("big.log", String(repeating: "x", count: 2 << 20))
        let chunked = try Curl.run(["-X", "PUT", "-H", "Authorization: Bearer \(token)", "-H", "Transfer-Encoding: chunked", "--data-binary", "@\(big)", "\(serve.url)/v1/logs/big.log"])
        #expect(chunked.status == 413 || chunked.exit != 0, "\(chunked.status) \(chunked.body)")
        #expect(!FileManager.default.fileExists(atPath: fixture.spool.appendingPathComponent(".uploads/isp-a/big.log").path), "\(chunked) \(serve.log)")

        // A body that stalls is cut after the idle timeout; its bytes wait for a resume.
        let started = Date()
        let stalled = RawHTTP.exchange(
            port: serve.port, head: "PUT /v1/logs/slow.log HTTP/1.1\r\nHost: x\r\n\(auth)Content-Length: 1000\r\n\r\n", body: Array(repeating: 65, count: 100), timeout: 10)
        #expect(stalled.closed)
        #expect(Date().timeIntervalSince(started) < 5)
        let head = try Curl.run(["-I", "-H", "Authorization: Bearer \(token)", "\(serve.url)/v1/logs/slow.log"])
        #expect(head.status == 204)
        #expect(Curl.header("Upload-Offset", in: head) == "100")
        // The service is still well.
        #expect(try Curl.run(["\(serve.url)/healthz"]).status == 200)
    }

    @Test func answers100ContinueOnlyToUploadsItWillRead() throws {
        let fixture = try ServeFixture()
        let serve = try fixture.start(["--max-upload-bytes", "8MiB"])
        defer { serve.stop() }
        let token = try fixture.storedToken("isp-a")
        var text = ""
        while text.utf8.count < 2 << 20 { text += ServeFixture.postfixLines(client: "203.0.113.99", rejects: 3, marker: "\(text.utf8.count)") }
        let file = try fixture.file("two-mb.log", text)
        // curl asks with Expect: 100-continue for a body over 1 MiB and waits a second for the answer.
        let started = Date()
        let accepted = try Curl.run(["-T", file, "-H", "Authorization: Bearer \(token)", "\(serve.url)/v1/logs/two-mb.log"])
        #expect(accepted.status == 202)
        #expect(accepted.headers.contains("100 Continue"), "\(accepted.headers)")
        #expect(Date().timeIntervalSince(started) < 0.9)
        let refused = try Curl.run(["-T", file, "-H", "Authorization: Bearer nope", "\(serve.url)/v1/logs/two-mb.log"])
        #expect(refused.status == 401)
        #expect(!refused.headers.contains("100 Continue"))
        var big = text
        while big.utf8.count < 9 << 20 { big += text }
        let tooBig = try Curl.run(["-T", try fixture.file("nine-mb.log", big), "-H", "Authorization: Bearer \(token)", "\(serve.url)/v1/logs/nine-mb.log"])
        #expect(tooBig.status == 413)
        #expect(!tooBig.headers.contains("100 Continue"))
    }

    @Test func resumesUploadsCutAtRandomPointsToTheSameBytes() throws {
        let fixture = try ServeFixture()
        let serve = try fixture.start()
        defer { serve.stop() }
        let token = try fixture.storedToken("isp-a")
        var text = ""
        for i in 0..<200 { text += ServeFixture.postfixLines(client: "198.51.100.\(i % 200 + 1)", rejects: 2, marker: "r\(i)") }
        let whole = Array(text.utf8)
        let file = try fixture.file("resumed.log", text)
        let (sha, field) = try Self.digest(file)
        var generator = SystemRandomNumberGenerator()
        let cuts = (0..<3).map { _ in Int.random(in: 1..<(whole.count - 1), using: &generator) }.sorted()
        // The first part goes with PUT on a connection that breaks off.
        let broken = RawHTTP.exchange(
            port: serve.port,
            head: "PUT /v1/logs/resumed.log HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: \(whole.count)\r\n\r\n",
            body: Array(whole[0..<cuts[0]]), timeout: 0.5)
        #expect(broken.status == nil)
        var held = 0
        #expect(ServeProcess.wait(timeout: 10) {
            let head = try? Curl.run(["-I", "-H", "Authorization: Bearer \(token)", "\(serve.url)/v1/logs/resumed.log"])
            held = Int(head.flatMap { Curl.header("Upload-Offset", in: $0) } ?? "") ?? -1
            return held == cuts[0]
        }, "held \(held), cut at \(cuts[0])")
        // Once the server has seen the connection break (the upload no longer in flight),
        // a wrong offset is refused with the right one.
        #expect(ServeProcess.wait(timeout: 10) {
            let metrics = (try? Curl.run(["\(serve.url)/metrics"]))?.body ?? ""
            return metrics.contains("abuse_ingest_uploads_total{reporter=\"isp-a\",status=\"interrupted\"} 1")
        })
        let wrongOffset = try Curl.run([
            "-X", "PATCH", "-H", "Authorization: Bearer \(token)", "-H", "Upload-Offset: \(cuts[0] + 7)", "--data-binary", "x", "\(serve.url)/v1/logs/resumed.log",
        ])
        #expect(wrongOffset.status == 409)
        #expect(Curl.header("Upload-Offset", in: wrongOffset) == "\(cuts[0])")
        // The middle parts, then the rest with Upload-Complete.
        let bounds = cuts + [whole.count]
        for index in 0..<3 {
            let part = try fixture.file("part\(index)", String(decoding: whole[bounds[index]..<bounds[index + 1]], as: UTF8.self))
            var arguments = [
                "-X", "PATCH", "-H", "Authorization: Bearer \(token)", "-H", "Upload-Offset: \(bounds[index])", "--data-binary", "@\(part)",
                "\(serve.url)/v1/logs/resumed.log",
            ]
            if index == 2 { arguments += ["-H", "Upload-Complete: ?1", "-H", "Repr-Digest: \(field)"] }
            let reply = try Curl.run(arguments)
            if index < 2 {
                #expect(reply.status == 204, "\(reply.body)")
                #expect(Curl.header("Upload-Offset", in: reply) == "\(bounds[index + 1])")
            } else {
                #expect(reply.status == 202, "\(reply.body)")
                #expect(try object(reply.body)["sha256"] as? String == sha)
            }
        }
        let done = try Self.outcome(serve, token: token, sha: sha)
        #expect(done["status"] as? String == "ingested")
        // Byte-identical to the one-piece file: the archive holds the file under its SHA-256.
        let archived = try #require(FileManager.default.enumerator(atPath: fixture.folder.appendingPathComponent("archive").path)?.allObjects
            .compactMap { $0 as? String }.first { $0.contains(sha) })
        let copy = fixture.folder.appendingPathComponent("archive").appendingPathComponent(archived)
        #expect(try Self.digest(copy.path).hex == sha)
        #expect(!FileManager.default.fileExists(atPath: fixture.spool.appendingPathComponent(".uploads/isp-a/resumed.log").path))
    }

    @Test func gzipBombIsQuarantinedWithoutBeingInflatedToItsEnd() throws {
        let fixture = try ServeFixture()
        let serve = try fixture.start()
        defer { serve.stop() }
        // 256 MiB of one repeated line compress about a thousandfold.
        let bomb = fixture.folder.appendingPathComponent("bomb.log.gz")
        let python = try Requirement.python()
        let made = Process()
        made.executableURL = URL(fileURLWithPath: python)
        made.arguments = [
            "-c",
            "import gzip,sys\nwith gzip.open(sys.argv[1],'wb',6) as f:\n    b=b'a'*1048575+b'\\n'\n    for _ in range(256): f.write(b)", bomb.path,
        ]
        try made.run()
        made.waitUntilExit()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: bomb.path)[.size] as? NSNumber).intValue
        #expect(size < 1 << 20)
        let ship = try CommandRunner.run(["ship", "--url", serve.url, "--token-file", fixture.tokenFile("isp-a"), "--json", bomb.path])
        #expect(ship.status == 3, "\(ship.stderr)")
        let outcome = try object(ship.stdout)
        #expect(outcome["status"] as? String == "quarantined")
        let error = try #require(outcome["error"] as? String)
        #expect(error.contains("200:1"), "\(error)")
        // Stopped early: the offset reached is a small part of the 256 MiB.
        let reached = try #require(error.split(separator: " ").first { Int($0) != nil }.flatMap { Int($0) })
        #expect(reached < 128 << 20, "\(error)")
        let metrics = try Curl.run(["\(serve.url)/metrics"]).body
        #expect(metrics.contains("abuse_ingest_quarantines_total{reason=\"gzip_bomb\"} 1"), "\(metrics)")
        let reason = try String(contentsOf: fixture.spool.appendingPathComponent("quarantine/isp-a/bomb.log.gz.reason"), encoding: .utf8)
        #expect(reason.contains("200:1"))
    }
}
