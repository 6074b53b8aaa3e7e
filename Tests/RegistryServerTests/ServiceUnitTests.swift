import EnforcementEngine
import Foundation
import NIOCore
import Primitives
import Testing
import TestSupport

@testable import RegistryServer

/// The service's parts on their own: configuration, names, digests, tokens, limits.
struct ServiceUnitTests {
    @Test func configurationReadsUnitsAndNamesTheBadKey() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("serve-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("serve.yaml")
        try Data("http: 0.0.0.0:8443\nevaluate_every: 5m\nmax_upload_bytes: 20GiB\nmin_free_bytes: 500MB\nspool_settle: 0\ncompact_at: 02:05\nreporters:\n  isp-a:\n    max_concurrent_uploads: 9\n".utf8)
            .write(to: file)
        let config = try ServeConfiguration.load(path: file.path)
        #expect(config.http == "0.0.0.0:8443")
        #expect(config.evaluateEvery == .seconds(300))
        #expect(config.maxUploadBytes == 20 << 30)
        #expect(config.minFreeBytes == 500_000_000)
        #expect(config.spoolSettle == .zero)
        #expect(config.compactAt == 2 * 60 + 5, "03:30 is a time, not YAML 1.1's base-60 number")
        #expect(config.maxConcurrentUploads(for: "isp-a") == 9)
        #expect(config.maxConcurrentUploads(for: "isp-b") == 4)
        // What --print-config writes reads back the same.
        try Data(try config.yaml().utf8).write(to: file)
        #expect(try ServeConfiguration.load(path: file.path) == config)

        try Data("compact_at: off\n".utf8).write(to: file)
        #expect(try ServeConfiguration.load(path: file.path).compactAt == nil, "off is a word, not YAML 1.1's false")
        try Data("compact_at: 24:00\n".utf8).write(to: file)
        #expect(throws: ConfigValue.FileError.self) { try ServeConfiguration.load(path: file.path) }
        try Data("evaluate_every: soon\n".utf8).write(to: file)
        #expect(throws: ConfigValue.FileError.self) { try ServeConfiguration.load(path: file.path) }
        try Data("http: 127.0.0.1:1\n\nlisten: 1\n".utf8).write(to: file)
        do {
            _ = try ServeConfiguration.load(path: file.path)
            Issue.record("an unknown key must be refused")
        } catch let error as ConfigValue.FileError {
            #expect(error.description.contains("line 3"), "\(error)")
            #expect(error.description.contains("listen"))
        }
        var flags = ServeConfiguration()
        #expect(throws: ConfigValue.Invalid.self) { try flags.set("http", to: "localhost") }
        #expect(throws: ConfigValue.Invalid.self) { try flags.set("max_upload_bytes", to: "-1") }
        #expect(throws: ConfigValue.Invalid.self) { try flags.set("log_format", to: "xml") }
        try flags.set("http", to: "[::1]:8080")
        #expect(flags.http == "[::1]:8080")
    }

    @Test func uploadNamesAreLabelsNeverPaths() {
        for good in ["mail.log.1.gz", "mainlog-2026-11-28", "A_b.c-d", String(repeating: "x", count: 200)] { #expect(UploadName.isValid(good), "\(good)") }
        for bad in ["", ".hidden", "../x", "a/b", "a b", "café", "x\u{0}", String(repeating: "x", count: 201), "..", "a\\b"] {
            #expect(!UploadName.isValid(bad), "\(bad)")
        }
        #expect(UploadName.isDigest(String(repeating: "a", count: 64)))
        #expect(!UploadName.isDigest(String(repeating: "A", count: 64)))
        #expect(LogShipper.uploadName(for: "/var/log/mail.log.1.gz") == "mail.log.1.gz")
        #expect(LogShipper.uploadName(for: "/tmp/.hidden log") == "_hidden_log")
        #expect(UploadName.isValid(LogShipper.uploadName(for: "/x/é.log")))
    }

    @Test func contentDigestReadsTheSHA256Member() {
        let digest = [UInt8](repeating: 7, count: 32)
        let field = ContentDigest.field(digest)
        #expect(ContentDigest.parse(field) == .sha256(digest))
        #expect(ContentDigest.parse("sha-512=:AAAA:, " + field) == .sha256(digest))
        #expect(ContentDigest.parse("sha-512=:AAAA:") == .absent)
        #expect(ContentDigest.parse(nil) == .absent)
        #expect(ContentDigest.parse("sha-256=:AAAA:") == .malformed)
        #expect(ContentDigest.parse("sha-256=abc") == .malformed)
    }

    @Test func tokensAreRandomShapedAndMatchedOnlyWhole() throws {
        let (a, textA) = ReporterToken.make(reporter: "isp-a", now: 1000, expires: 2000)
        let (b, textB) = ReporterToken.make(reporter: "isp-a", now: 1000, expires: nil)
        #expect(textA != textB)
        #expect(ReporterToken.id(in: textA) == a.id)
        #expect(a.matches(textA))
        #expect(!a.matches(textB))
        #expect(!a.matches(String(textA.dropLast()) + "x"))
        // 256 bits of secret: 43 base64url characters.
        #expect(textA.split(separator: "_", maxSplits: 3).last?.count == 43)
        #expect(a.state(at: 1999) == "active")
        #expect(a.state(at: 2000) == "expired")
        #expect(b.state(at: .max) == "active")
        #expect(ReporterToken.id(in: "Bearer nonsense") == nil)
        #expect(ReporterToken.id(in: String(repeating: "x", count: 10_000)) == nil)
    }

    @Test(arguments: Backend.allCases) func storeAuthenticatesOnlyActiveTokensAndAuditsEveryAction(_ backend: Backend) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("serve-tokens-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let postgres = backend == .postgres ? try TestPostgres() : nil
        defer { postgres?.remove() }
        let store = try ServiceStore(engine: EngineStore(location: postgres?.url ?? folder.appendingPathComponent("t.db").path))
        try store.engine.addReporter(Reporter(id: "isp-a", name: "A", organisation: "A", createdAt: 0))
        #expect(throws: ServiceStore.Failure.unknownReporter("nobody")) { try store.createToken(reporter: "nobody", expires: nil, by: "test", now: 0) }
        let (record, text) = try store.createToken(reporter: "isp-a", expires: 5000, by: "cli:test", now: 1000)
        #expect(try store.authenticate(text, now: 1001) == "isp-a")
        #expect(try store.authenticate(text, now: 5000) == nil)
        try store.revokeToken(reporter: "isp-a", id: record.id, by: "cli:test", now: 1002)
        #expect(try store.authenticate(text, now: 1003) == nil)
        #expect(throws: ServiceStore.Failure.alreadyRevoked(record.id)) { try store.revokeToken(reporter: "isp-a", id: record.id, by: "cli:test", now: 1004) }
        #expect(try store.auditEntries().map(\.action) == ["token.create", "token.revoke"])
        #expect(try store.auditEntries().allSatisfy { $0.actor == "cli:test" && $0.subject == "isp-a" })
    }

    @Test func rateLimiterRefillsPerClient() {
        let limiter = RateLimiter(maxClients: 2)
        #expect((0..<3).allSatisfy { _ in limiter.allow("a", perMinute: 3, now: 100) })
        #expect(!limiter.allow("a", perMinute: 3, now: 100))
        #expect(limiter.allow("b", perMinute: 3, now: 100))
        // The table is bounded: a third client waits until a bucket is full again.
        #expect(!limiter.allow("c", perMinute: 3, now: 100.5))
        #expect(limiter.allow("a", perMinute: 3, now: 120.5))
        #expect(limiter.allow("c", perMinute: 3, now: 400))
    }

    @Test func quarantineReasonsAreShortLabels() {
        #expect(QuarantineReason.classify("corrupt or truncated: gzip stream expands beyond the allowed ratio: 2 bytes (x, byte 2)") == "gzip_bomb")
        #expect(QuarantineReason.classify("corrupt or truncated: truncated gzip stream: the stream ends inside a gzip member (x, byte 9)") == "truncated")
        #expect(QuarantineReason.classify("corrupt or truncated: corrupt gzip stream: invalid code (x, byte 9)") == "corrupt")
        #expect(QuarantineReason.classify("format drift: 9 of 10 lines") == "format_drift")
        #expect(QuarantineReason.classify(nil) == "other")
    }

    @Test func intakeStreamsToDiskAndResumesToTheSameDigest() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("serve-intake-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try ServiceStore(path: folder.appendingPathComponent("i.db").path)
        try store.engine.addReporter(Reporter(id: "isp-a", name: "A", organisation: "A", createdAt: 0))
        var config = ServeConfiguration()
        config.minFreeBytes = 0
        let intake = LogIntake(store: store, spool: folder.appendingPathComponent("spool"), settings: LiveSettings(config), metrics: ServerMetrics(), logger: .init(label: "t")) {}
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        struct Broken: Error {}
        // A body that breaks after 100,000 bytes…
        let cut = AsyncThrowingStream<ByteBuffer, any Error> { c in
            c.yield(ByteBuffer(bytes: bytes[0..<60_000]))
            c.yield(ByteBuffer(bytes: bytes[60_000..<100_000]))
            c.finish(throwing: Broken())
        }
        let first = await intake.put(name: "r.log", reporter: "isp-a", headers: .init(contentLength: 300_000), body: cut)
        #expect(first.status == 400)
        #expect(first.headers["Upload-Offset"] == "100000")
        #expect(intake.head(name: "r.log", reporter: "isp-a").headers["Upload-Offset"] == "100000")
        // …is continued from where it broke, and equals the whole.
        let rest = AsyncStream<ByteBuffer> { c in
            c.yield(ByteBuffer(bytes: bytes[100_000...]))
            c.finish()
        }
        let done = await intake.patch(name: "r.log", reporter: "isp-a", headers: .init(uploadOffset: "100000", uploadComplete: "?1"), body: rest)
        #expect(done.status == 202)
        let sha = (try? object(done.json ?? ""))?["sha256"] as? String
        #expect(sha == Digest.sha256(bytes))
        let record = try #require(try store.upload(reporter: "isp-a", sha256: sha ?? ""))
        #expect(record.status == .queued)
        #expect(try Data(contentsOf: URL(fileURLWithPath: record.spoolFile ?? "")) == Data(bytes))
        #expect(intake.head(name: "r.log", reporter: "isp-a").status == 404)

        // A broken upload's bytes wait for `partial_retention`, then go.
        let partials = folder.appendingPathComponent("spool/.uploads/isp-a")
        for (name, hoursAgo) in [("old.log", 25.0), ("fresh.log", 23.0)] {
            let path = partials.appendingPathComponent(name).path
            _ = FileManager.default.createFile(atPath: path, contents: Data("held".utf8))
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-hoursAgo * 3600)], ofItemAtPath: path)
        }
        #expect(intake.removeStalePartials(olderThan: .seconds(86_400), now: Date()) == 1)
        #expect(intake.head(name: "old.log", reporter: "isp-a").status == 404)
        #expect(intake.head(name: "fresh.log", reporter: "isp-a").headers["Upload-Offset"] == "4")
    }
}
