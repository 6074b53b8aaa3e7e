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

extension IngestCommandTests {
    /// Hidden files are left alone, and a name already taken in `done/` does not overwrite
    /// what is there: the new file gets its digest in front.
    @Test func spoolLeavesHiddenFilesAndKeepsNamesApartInDone() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let spool = fixture.folder.appendingPathComponent("spool")
        let inbox = spool.appendingPathComponent("isp-a")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let old = Date(timeIntervalSinceNow: -3600)
        func place(_ name: String, seed: UInt64) throws -> Data {
            let data = Data(try TestLog.gzip(TestLog.postfix(lines: 100, seed: seed)))
            try data.write(to: inbox.appendingPathComponent(name))
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: inbox.appendingPathComponent(name).path)
            return data
        }
        let first = try place("mail.log.1.gz", seed: 1)
        _ = try place(".mail.log.2.gz.swp", seed: 2)
        #expect(try CommandRunner.run(["ingest", "--db", fixture.databasePath, "--spool", spool.path]).status == 0)
        // The next night's file under the same name (logrotate reuses names).
        let second = try place("mail.log.1.gz", seed: 3)
        let result = try CommandRunner.run(["ingest", "--db", fixture.databasePath, "--spool", spool.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let done = spool.appendingPathComponent("done/isp-a")
        let names = try FileManager.default.contentsOfDirectory(atPath: done.path).sorted()
        #expect(names.count == 2 && names.contains("mail.log.1.gz"), "\(names)")
        let renamed = try #require(names.first { $0 != "mail.log.1.gz" })
        #expect(renamed.hasSuffix("-mail.log.1.gz") && renamed.count == "mail.log.1.gz".count + 13)
        #expect(try Data(contentsOf: done.appendingPathComponent("mail.log.1.gz")) == first, "the first night's file is untouched")
        #expect(try Data(contentsOf: done.appendingPathComponent(renamed)) == second)
        #expect(FileManager.default.fileExists(atPath: inbox.appendingPathComponent(".mail.log.2.gz.swp").path), "a hidden file is left alone")
        #expect(try fixture.count("SELECT COUNT(*) FROM shipment") == 2, "the hidden file was not ingested")
    }

    /// A reporter's spool folder that cannot be read is an error naming it (exit 1), and
    /// the other reporters' files are still ingested. Run as an unprivileged user (root
    /// reads every folder).
    @Test func spoolReportsAnUnreadableReporterFolderAndGoesOn() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let spool = fixture.folder.appendingPathComponent("spool")
        for id in ["isp-a", "isp-b"] {
            let inbox = spool.appendingPathComponent(id)
            try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
            let path = inbox.appendingPathComponent("night.log.gz").path
            try Data(try TestLog.gzip(TestLog.postfix(lines: 100, seed: id == "isp-a" ? 1 : 2))).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: path)
        }
        let arguments = ["ingest", "--db", fixture.databasePath, "--spool", spool.path]
        var user: String?
        if getuid() == 0 {
            // The data folder becomes the unprivileged user's to write.
            let chmod = Process()
            chmod.executableURL = URL(fileURLWithPath: "/bin/chmod")
            chmod.arguments = ["-R", "a+rwX", fixture.folder.path]
            try chmod.run()
            chmod.waitUntilExit()
            user = "nobody"
        }
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: spool.appendingPathComponent("isp-a").path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: spool.appendingPathComponent("isp-a").path) }
        let result = try CommandRunner.run(arguments, asUser: user)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("abuse-ingest: error: cannot read the reporter's spool folder") && result.stderr.contains("(\(spool.path)/isp-a)"), "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: spool.appendingPathComponent("done/isp-b/night.log.gz").path), "the other reporter's file went through")
    }
}
