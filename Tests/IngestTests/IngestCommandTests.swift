import EnforcementEngine
import Foundation
import Glibc
import TestSupport
import Testing

/// `abuse-ingest ingest` as cron or a systemd timer runs it.
@Suite(.serialized)
struct IngestCommandTests {

    @Test func refusesAnUnknownReporterAndStoresNothing() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let file = try fixture.write("mx.log", TestLog.postfix(lines: 50))
        let result = try CommandRunner.run(["ingest", "--db", fixture.databasePath, "--reporter", "isp-z", file])
        #expect(result.status == 2)
        #expect(result.stderr.contains("unknown reporter 'isp-z'"))
        #expect(try fixture.count("SELECT COUNT(*) FROM shipment") == 0)
    }

    @Test func exitsThreeWhenAFileIsQuarantinedAndPrintsJSONPerFile() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let good = try fixture.write("good.log.gz", try TestLog.gzip(TestLog.postfix(lines: 300)))
        let full = try TestLog.gzip(TestLog.postfix(lines: 20_000, seed: 9))
        let bad = try fixture.write("bad.log.gz", Array(full.prefix(full.count / 3)))
        let result = try CommandRunner.run(["ingest", "--db", fixture.databasePath, "--reporter", "isp-a", "--json", good, bad])
        #expect(result.status == 3)
        let objects = result.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.map { $0["status"] as? String } == ["ingested", "quarantined"])
        for key in ["file", "sha256", "status", "lines", "events", "unparsed", "first_event", "last_event", "error"] {
            #expect(objects.allSatisfy { $0.keys.contains(key) }, "every object has \(key)")
        }
    }

    @Test func spoolMovesSettledFilesAndLeavesFilesBeingWrittenAlone() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let spool = fixture.folder.appendingPathComponent("spool")
        let inbox = spool.appendingPathComponent("isp-a")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let old = Date(timeIntervalSinceNow: -3600)
        func place(_ name: String, _ bytes: [UInt8], modified: Date) throws {
            let path = inbox.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: path)
        }
        try place("night-1.log.gz", try TestLog.gzip(TestLog.postfix(lines: 200, seed: 1)), modified: old)
        try place("night-2.log.gz.part", try TestLog.gzip(TestLog.postfix(lines: 200, seed: 2)), modified: old)
        try place("night-3.log.gz", try TestLog.gzip(TestLog.postfix(lines: 200, seed: 3)), modified: Date())
        let broken = try TestLog.gzip(TestLog.postfix(lines: 20_000, seed: 4))
        try place("night-4.log.gz", Array(broken.prefix(broken.count / 2)), modified: old)
        let result = try CommandRunner.run(["ingest", "--db", fixture.databasePath, "--spool", spool.path, "--settle", "60"])
        #expect(result.status == 3, "one file was quarantined")
        let fm = FileManager.default
        #expect(fm.fileExists(atPath: spool.appendingPathComponent("done/isp-a/night-1.log.gz").path))
        #expect(fm.fileExists(atPath: inbox.appendingPathComponent("night-2.log.gz.part").path), ".part files are still being written")
        #expect(fm.fileExists(atPath: inbox.appendingPathComponent("night-3.log.gz").path), "a file modified a moment ago is left alone")
        #expect(fm.fileExists(atPath: spool.appendingPathComponent("quarantine/isp-a/night-4.log.gz").path))
        let reason = try String(contentsOf: spool.appendingPathComponent("quarantine/isp-a/night-4.log.gz.reason"), encoding: .utf8)
        #expect(reason.contains("truncated gzip stream") && reason.contains("byte "))
    }

    /// Killed with SIGKILL at several points and run again, the store holds exactly what
    /// one clean run gives.
    @Test func resumesAfterKillNineWithExactCounts() throws {
        let clean = try IngestFixture()
        defer { clean.remove() }
        let files = try (0..<2).map { k in
            try clean.write("night-\(k).log.gz", try TestLog.gzip(TestLog.postfix(lines: 60_000, seed: UInt64(10 + k), clients: 20_000)))
        }
        let started = Date()
        let reference = try CommandRunner.run(["ingest", "--db", clean.databasePath, "--reporter", "isp-a"] + files)
        #expect(reference.status == 0, "\(reference.stderr)")
        let duration = Date().timeIntervalSince(started)
        let expected = try clean.snapshot()
        #expect(!expected.isEmpty)
        for fraction in [0.15, 0.45, 0.75, 0.95] {
            let victim = try IngestFixture()
            defer { victim.remove() }
            let copies = try files.map { try victim.write(URL(fileURLWithPath: $0).lastPathComponent, Array(try Data(contentsOf: URL(fileURLWithPath: $0)))) }
            let process = try CommandRunner.start(["ingest", "--db", victim.databasePath, "--reporter", "isp-a"] + copies)
            Thread.sleep(forTimeInterval: duration * fraction)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let again = try CommandRunner.run(["ingest", "--db", victim.databasePath, "--reporter", "isp-a"] + copies)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(try victim.snapshot() == expected, "killed at \(Int(fraction * 100)) % of a clean run, then resumed")
        }
    }
}
