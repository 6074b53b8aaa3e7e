import Foundation
import Testing
import TestSupport

/// Several `serve` instances on one database and one spool folder, as on several hosts with
/// a shared archive path: they share the spool's files through its queue, and the files of
/// an instance killed with -9 are taken by the others: at once here, as they run on its host
/// and see it gone; from another host, once its lease runs out (`SpoolQueueTests`).
@Suite(.serialized) struct ServeWorkersTests {
    static let reporters = ["isp-a", "isp-b", "isp-c"]

    /// Three instances, sixty files: forty dropped into the spool, twenty uploaded to two of
    /// the instances. The first instance is killed inside a file. The store then equals a
    /// one-process SQLite ingest of the same files: `ip show --json` of every client and
    /// `cases list --json` after the same evaluation print the same bytes.
    @Test(arguments: Backend.allCases) func threeInstancesShareTheSpoolAndOutliveOneKilledInsideAFile(_ backend: Backend) throws {
        let fixture = try ServeFixture(reporters: Self.reporters, backend: backend)
        defer { fixture.postgres?.remove() }
        let (files, clients) = try Self.files(in: fixture)
        // isp-a and isp-b drop their files into the spool (rsync); isp-c uploads its own.
        for reporter in ["isp-a", "isp-b"] {
            let folder = fixture.spool.appendingPathComponent(reporter)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for file in files[reporter]! {
                try FileManager.default.copyItem(atPath: file, toPath: folder.appendingPathComponent(URL(fileURLWithPath: file).lastPathComponent).path)
            }
        }
        let noRules = fixture.folder.appendingPathComponent("no-rules")
        try FileManager.default.createDirectory(at: noRules, withIntermediateDirectories: true)
        let common = ["--rules", noRules.path, "--spool-settle", "0s", "--spool-poll", "200ms", "--spool-lease", "3s", "--evaluate-every", "1h"]
        // The first instance takes the spool's first files and stops inside the first one.
        let marker = fixture.folder.appendingPathComponent("paused")
        let first = try fixture.start(common, environment: ["ABUSE_INGEST_TEST_PAUSE": "isp-a-00.log:5:\(marker.path)"])
        #expect(ServeProcess.wait(timeout: 30) { FileManager.default.fileExists(atPath: marker.path) }, "\(first.log)")
        // The rest of its batch ingested and moved out: it holds that one file alone.
        let store = try fixture.storeQuery()
        #expect(ServeProcess.wait(timeout: 30) { (try? store("SELECT COUNT(*) FROM spool_queue WHERE owner IS NOT NULL")) == 1 })
        let others = try (0..<2).map { _ in try fixture.start(common) }
        defer { others.forEach { $0.stop() } }
        first.crash()
        let uploads = files["isp-c"]!
        let shippers = try [Array(uploads.prefix(10)), Array(uploads.dropFirst(10))].enumerated().map { i, part in
            try CommandRunner.start(["ship", "--url", others[i].url, "--token-file", fixture.tokenFile("isp-c"), "--json"] + part)
        }
        for shipper in shippers {
            let errors = (shipper.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile()
            shipper.waitUntilExit()
            #expect(shipper.terminationStatus == 0, "\(String(decoding: errors, as: UTF8.self))")
        }
        #expect(
            ServeProcess.wait(timeout: 60) {
                (try? store("SELECT COUNT(*) FROM shipment WHERE status = 'ingested'")) == 60 && (try? store("SELECT COUNT(*) FROM spool_queue")) == 0
            }, "all 60 files ingested and the queue empty:\n\(others[0].log)\n\(others[1].log)")
        #expect(try store("SELECT COUNT(*) FROM shipment") == 60, "no file ingested twice, none quarantined")
        #expect(try store("SELECT COUNT(*) FROM upload WHERE status = 'ingested'") == 20)
        let done = try FileManager.default.contentsOfDirectory(atPath: fixture.spool.appendingPathComponent("done/isp-a").path)
        #expect(done.contains("isp-a-00.log"), "the killed instance's file was ingested by another")
        #expect(others.allSatisfy { $0.log.contains("file ingested") }, "both remaining instances ingested files")
        // Each file was read by one instance: none found another's file a duplicate.
        #expect(others.allSatisfy { !$0.log.contains("file duplicate") }, "\(others[0].log)\n\(others[1].log)")

        // The reference: one SQLite ingest process per reporter, of the same files.
        let reference = try ServeFixture(reporters: Self.reporters)
        for reporter in Self.reporters {
            let ingested = try CommandRunner.run(["ingest", "--reporter", reporter] + reference.target + files[reporter]!)
            #expect(ingested.status == 0, "\(ingested.stderr)")
        }
        let rules = fixture.folder.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
        try Data(ServeFixture.rule.utf8).write(to: rules.appendingPathComponent("unknown-recipients.yaml"))
        let asOf = ISO8601DateFormatter().string(from: Date().addingTimeInterval(60))
        func same(_ command: [String]) throws -> String {
            let ours = try CommandRunner.run(command + fixture.target)
            let theirs = try CommandRunner.run(command + reference.target)
            #expect(ours.status == 0 && theirs.status == 0, "\(command): \(ours.stderr) \(theirs.stderr)")
            #expect(ours.stdout == theirs.stdout, "\(command.joined(separator: " ")) prints the same")
            return ours.stdout
        }
        _ = try same(["evaluate", "--rules", rules.path, "--as-of", asOf, "--json"])
        let cases = try same(["cases", "list", "--json"])
        #expect(cases.contains(Self.everywhere), "the client in every file has its case: \(cases)")
        for client in clients { _ = try same(["ip", "show", client, "--json"]) }
    }

    /// A client in every file, rejected for unknown recipients in each.
    static let everywhere = "203.0.113.9"

    /// Twenty files per reporter, each with the client in every file and two of thirty others;
    /// returns the files by reporter and every client.
    static func files(in fixture: ServeFixture) throws -> (files: [String: [String]], clients: [String]) {
        var files: [String: [String]] = [:]
        var clients: Set<String> = [everywhere]
        for (r, reporter) in reporters.enumerated() {
            files[reporter] = try (0..<20).map { i in
                let one = "198.51.100.\((r * 20 + i) % 30 + 1)"
                let two = "198.51.100.\((r * 20 + i + 7) % 30 + 1)"
                clients.formUnion([one, two])
                let text =
                    ServeFixture.postfixLines(client: everywhere, rejects: 2, minutesAgo: 90, marker: "\(reporter)-\(i)-e")
                    + ServeFixture.postfixLines(client: one, rejects: 1 + i % 4, minutesAgo: 60, marker: "\(reporter)-\(i)-1")
                    + ServeFixture.postfixLines(client: two, rejects: 3, minutesAgo: 30, marker: "\(reporter)-\(i)-2")
                return try fixture.file(String(format: "%@-%02d.log", reporter, i), text)
            }
        }
        return (files, clients.sorted())
    }
}
