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

    /// Killed with SIGKILL inside a file (paused by the test hook after some of its lines,
    /// the other files of the batch already committed) and run again: the store holds
    /// exactly what one clean run gives, table by table, with nothing left over.
    @Test(arguments: [2_000, 30_000, 59_000])
    func resumesAfterKillNineInsideAFileWithTheExactStore(pauseLine: Int) throws {
        let clean = try IngestFixture()
        defer { clean.remove() }
        let names = ["night-0.log.gz", "night-1.log.gz", "night-2.log.gz"]
        let contents = try names.indices.map { k in try TestLog.gzip(TestLog.postfix(lines: k == 2 ? 60_000 : 20_000, seed: UInt64(10 + k), clients: 20_000)) }
        let files = try names.indices.map { try clean.write(names[$0], contents[$0]) }
        let reference = try CommandRunner.run(["ingest", "--db", clean.databasePath, "--reporter", "isp-a"] + files)
        #expect(reference.status == 0, "\(reference.stderr)")
        let expected = try StoreDump.dump(clean.store.database)
        #expect(expected.contains { $0.hasPrefix("segment_block: ") && !$0.hasSuffix(" rows") })

        let victim = try IngestFixture()
        defer { victim.remove() }
        let copies = try names.indices.map { try victim.write(names[$0], contents[$0]) }
        let marker = victim.folder.appendingPathComponent("paused")
        let process = try CommandRunner.start(
            ["ingest", "--db", victim.databasePath, "--reporter", "isp-a"] + copies,
            environment: ["ABUSE_INGEST_TEST_PAUSE": "night-2.log.gz:\(pauseLine):\(marker.path)"])
        // Paused inside night-2 with the other two committed: the kill lands mid-file.
        try Self.wait("ingest to pause inside night-2.log.gz") { FileManager.default.fileExists(atPath: marker.path) }
        try Self.wait("the other files to be committed") { try victim.count("SELECT COUNT(*) FROM shipment WHERE status = 'ingested'") == 2 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL, "the victim died by SIGKILL")
        #expect(try victim.count("SELECT COUNT(*) FROM shipment WHERE file_name = 'night-2.log.gz'") == 0, "nothing of the file in progress was committed")

        let again = try CommandRunner.run(["ingest", "--db", victim.databasePath, "--reporter", "isp-a", "--json"] + copies)
        #expect(again.status == 0, "\(again.stderr)")
        let statuses = again.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.map { $0["status"] as? String }
        #expect(statuses == ["duplicate", "duplicate", "ingested"], "the second run's per-file statuses")
        #expect(try StoreDump.dump(victim.store.database) == expected, "every table equals the clean run's")
        #expect(try StoreDump.integrity(victim.store.database) == "ok")
        #expect(try StoreDump.orphans(victim.store.database) == 0, "no orphan segment or block")
        #expect(StoreDump.strayFiles(archive: victim.folder.appendingPathComponent("archive")) == [], "no stray temporary file in the archive")
    }

    /// Polls `condition` for up to 60 s.
    static func wait(_ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(60)
        while try !condition() {
            guard Date() < deadline else { throw TimedOut(what: what) }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var what: String
        var description: String { "timed out waiting for \(what)" }
    }
}
