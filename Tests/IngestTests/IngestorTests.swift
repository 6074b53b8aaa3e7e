@testable import EnforcementEngine
import Foundation
import GRDB
import LogParsers
import Primitives
import RegistryClient
import Synchronization
import TestSupport
import Testing

struct IngestorTests {
    @Test(arguments: Backend.allCases) func ingestsAFileOnceAndReportsTheSameBytesAsDuplicate(_ backend: Backend) throws {
        let fixture = try IngestFixture(backend)
        defer { fixture.remove() }
        let file = try fixture.write("mx1.log.gz", try TestLog.gzip(TestLog.postfix(lines: 2000)))
        let first = try fixture.ingestor().ingest(files: [file], reporter: fixture.reporter("isp-a"), now: time("2026-11-29T06:00:00Z"))
        #expect(first.map(\.status) == [.ingested])
        #expect(first[0].lines == 2000)
        let snapshot = try fixture.snapshot()
        // A copy under another name is the same shipment.
        let copy = try fixture.write("renamed.gz", Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        let second = try fixture.ingestor().ingest(files: [file, copy], reporter: fixture.reporter("isp-a"), now: time("2026-11-29T07:00:00Z"))
        #expect(second.map(\.status) == [.duplicate, .duplicate])
        #expect(try fixture.snapshot() == snapshot, "a duplicate changes nothing")
        // The shipped bytes are archived, content-addressed.
        let sha = try #require(first[0].sha256)
        let archived = fixture.folder.appendingPathComponent("archive/\(sha.prefix(2))/\(sha).gz")
        #expect(try Data(contentsOf: archived) == Data(contentsOf: URL(fileURLWithPath: file)))
    }

    @Test(arguments: Backend.allCases) func quarantinesACorruptGzipInTheMiddleOfABatchAndCommitsTheOthers(_ backend: Backend) throws {
        let fixture = try IngestFixture(backend)
        defer { fixture.remove() }
        let good1 = try fixture.write("a.log.gz", try TestLog.gzip(TestLog.postfix(lines: 1000, seed: 1)))
        let full = try TestLog.gzip(TestLog.postfix(lines: 20_000, seed: 2))
        let broken = try fixture.write("b.log.gz", Array(full.prefix(full.count / 2)))
        let good2 = try fixture.write("c.log.gz", try TestLog.gzip(TestLog.postfix(lines: 1000, seed: 3)))
        let outcomes = try fixture.ingestor().ingest(files: [good1, broken, good2], reporter: fixture.reporter("isp-a"), now: time("2026-11-29T06:00:00Z"))
        #expect(outcomes.map(\.status) == [.ingested, .quarantined, .ingested])
        let reason = try #require(outcomes[1].error)
        #expect(reason.contains("truncated gzip stream") && reason.contains("byte "), "\(reason)")
        #expect(try fixture.count("SELECT COUNT(*) FROM shipment WHERE status = 'ingested'") == 2)
        #expect(try fixture.count("SELECT COUNT(*) FROM shipment WHERE status = 'quarantined'") == 1)
        // Nothing of the broken file is counted: totals equal the two good files' events.
        let events = outcomes[0].events + outcomes[2].events
        #expect(try fixture.counts().reduce(0) { $0 + $1.count } == events)
    }

    @Test(arguments: Backend.allCases) func quarantinesAFileWithHalfGarbageAsFormatDrift(_ backend: Backend) throws {
        let fixture = try IngestFixture(backend)
        defer { fixture.remove() }
        var bytes: [UInt8] = []
        let good = TestLog.postfix(lines: 400)
        for (i, line) in good.split(separator: 0x0A).enumerated() {
            bytes += line + [0x0A]
            if i % 1 == 0 { bytes += Array("Nov 28 01:00:00 mx postfix/smtpd[1]: NOQUEUE: rejekt frobnicated from [192.0.2.1] by a format nobody knows\n".utf8) }
        }
        let file = try fixture.write("drift.log", bytes)
        let outcomes = try fixture.ingestor().ingest(files: [file], reporter: fixture.reporter("isp-a"), now: time("2026-11-29T06:00:00Z"))
        #expect(outcomes[0].status == .quarantined)
        #expect(outcomes[0].error?.contains("format drift") == true, "\(outcomes[0].error ?? "")")
        #expect(try fixture.count("SELECT COUNT(*) FROM segment_block") == 0, "a drifting file is not half-used")
    }

    @Test(arguments: Backend.allCases) func judgesEachEventByTheStatusInForceAtItsTime(_ backend: Backend) throws {
        let fixture = try IngestFixture(backend)
        defer { fixture.remove() }
        try fixture.store.registry.recordChange(of: ip("198.51.100.5"), to: .suspended, at: time("2026-11-28T02:00:00Z"), cause: "suspension", source: "engine", caseID: "C-2026-000001", provisional: true)
        let log = """
            Nov 28 01:59:00 mx postfix/smtpd[1]: connect from unknown[198.51.100.5]
            Nov 28 01:59:59 mx postfix/smtpd[1]: connect from unknown[198.51.100.5]
            Nov 28 02:00:00 mx postfix/smtpd[1]: connect from unknown[198.51.100.5]
            Nov 28 02:30:00 mx postfix/smtpd[1]: connect from unknown[198.51.100.5]
            Nov 28 02:31:00 mx postfix/smtpd[1]: connect from unknown[203.0.113.1]

            """
        let file = try fixture.write("night.log", Array(log.utf8))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_795_910_400)], ofItemAtPath: file)
        _ = try fixture.ingestor().ingest(files: [file], reporter: fixture.reporter("isp-a"), now: time("2026-11-29T06:00:00Z"))
        let rows = try fixture.counts().sorted { ($0.hour, $0.ip) < ($1.hour, $1.ip) }.map { "\($0.ip) \($0.hour) \($0.status.rawValue) \($0.count)" }
        let h1 = time("2026-11-28T01:00:00Z") / 3_600_000
        #expect(rows == ["C6336405 \(h1) active 2", "C6336405 \(h1 + 1) suspended 2", "CB007101 \(h1 + 1) unregistered 1"])
    }

    /// The same file gives the same records and samples, and the reservoir stays bounded,
    /// on SQLite and on PostgreSQL alike (the two stores are compared record by record).
    @Test func keepsDeterministicBoundedSamples() throws {
        let first = try IngestFixture()
        defer { first.remove() }
        let second = try IngestFixture(.postgres)
        defer { second.remove() }
        let bytes = try TestLog.gzip(TestLog.postfix(lines: 5000, clients: 20))
        for fixture in [first, second] {
            let file = try fixture.write("mx.log.gz", bytes)
            _ = try fixture.ingestor().ingest(files: [file], reporter: fixture.reporter("isp-a"), now: time("2026-11-29T06:00:00Z"))
        }
        #expect(try first.snapshot() == second.snapshot(), "same input, same samples")
        // Twice the same traffic in another file: still at most 10 per (client, reporter, kind.reason).
        let more = try first.write("mx2.log.gz", try TestLog.gzip(TestLog.postfix(lines: 5000, seed: 77, clients: 20)))
        _ = try first.ingestor().ingest(files: [more], reporter: first.reporter("isp-a"), now: time("2026-11-29T07:00:00Z"))
        var clients: Set<String> = []
        try first.store.forEachRecord { clients.insert($0.record.ip!.description) }
        var most = 0
        for client in clients {
            for (_, samples) in try first.store.reservoir(of: IPAddress(client)!) {
                most = max(most, Dictionary(grouping: samples, by: { "\($0.kind).\($0.reason)" }).values.map(\.count).max() ?? 0)
            }
        }
        #expect(most == 10, "the reservoir is bounded per (client, reporter, kind.reason)")
    }

    @Test func failsClearlyOnAReadOnlyDatabaseAndWritesNothing() throws {
        let setup = try IngestFixture()
        defer { setup.remove() }
        var configuration = Configuration()
        configuration.readonly = true
        let store = try EngineStore(database: try DatabasePool(path: setup.databasePath, configuration: configuration))
        let file = try setup.write("mx.log", TestLog.postfix(lines: 100))
        let ingestor = Ingestor(store: store, index: try store.registry.loadIndex(), options: .init(dataFolder: setup.folder))
        #expect {
            try ingestor.ingest(files: [file], reporter: setup.reporter("isp-a"), now: time("2026-11-29T06:00:00Z"))
        } throws: { error in
            (error as? Ingestor.StoreFailure)?.cause.contains("readonly") == true
        }
        #expect(try setup.count("SELECT COUNT(*) FROM shipment") == 0)
        #expect(try setup.count("SELECT COUNT(*) FROM segment_block") == 0)
    }

    @Test func failsClearlyWhenTheDiskIsFullAndRollsTheFileBack() throws {
        let setup = try IngestFixture()
        defer { setup.remove() }
        let small = try setup.write("small.log", TestLog.postfix(lines: 50, seed: 5, clients: 10))
        _ = try setup.ingestor().ingest(files: [small], reporter: setup.reporter("isp-a"), now: time("2026-11-29T06:00:00Z"))
        let before = try setup.snapshot()
        // A writer whose database may not grow: SQLite answers SQLITE_FULL, as on a full disk.
        let pages = try setup.count("PRAGMA page_count")
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA max_page_count = \(pages + 2)") }
        let store = try EngineStore(database: try DatabasePool(path: setup.databasePath, configuration: configuration))
        let big = try setup.write("big.log.gz", try TestLog.gzip(TestLog.postfix(lines: 30_000, seed: 6, clients: 20_000)))
        let ingestor = Ingestor(store: store, index: try store.registry.loadIndex(), options: .init(dataFolder: setup.folder))
        #expect {
            try ingestor.ingest(files: [big], reporter: setup.reporter("isp-a"), now: time("2026-11-29T07:00:00Z"))
        } throws: { error in
            (error as? Ingestor.StoreFailure)?.cause.contains("full") == true
        }
        #expect(try setup.snapshot() == before, "nothing of the file that did not fit was written")
    }
}

func time(_ text: String) -> Int64 { ISOTime.parse(text)! }

/// A shipment row of reporter isp-a for segments written directly.
func testShipment(sha256: String, fileName: String) -> Shipment {
    Shipment(
        reporterID: "isp-a", sha256: sha256, fileName: fileName, status: .ingested, receivedAt: 0, bytes: 0, lines: 0, events: 0, skipped: 0, unparsed: 0,
        firstEvent: nil, lastEvent: nil, futureEvents: 0, distantEvents: 0, gapHours: 0, error: nil)
}
func ip(_ text: String) -> IPAddress { IPAddress(text)! }

extension IngestorTests {
    /// Progress goes from the start of a file (nothing read) through the lines read to the
    /// end (every shipped byte read), never backwards.
    @Test func reportsProgressFromStartToEndOfEachFile() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let file = try fixture.write("mx1.log.gz", try TestLog.gzip(TestLog.postfix(lines: 150_000)))
        let size = Int64(try Data(contentsOf: URL(fileURLWithPath: file)).count)
        let reports = Mutex<[IngestProgressReport]>([])
        let outcomes = try fixture.ingestor().ingest(files: [file], reporter: fixture.reporter("isp-a"), now: time("2026-11-29T06:00:00Z")) { report in
            reports.withLock { $0.append(report) }
        }
        #expect(outcomes.map(\.status) == [.ingested])
        let seen = reports.withLock { $0 }
        #expect(seen.count >= 4, "start, a report per 65,536 lines, end: \(seen.count)")
        #expect(seen.first == IngestProgressReport(file: file, lines: 0, bytes: 0, shippedRead: 0, shippedSize: size, finished: false))
        #expect(seen.last?.finished == true && seen.last?.shippedRead == size && seen.last?.lines == 150_000 && seen.last?.fraction == 1)
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.lines <= $1.lines && $0.shippedRead <= $1.shippedRead }, "never backwards")
        #expect(seen.dropFirst().dropLast().allSatisfy { $0.fraction > 0 && $0.fraction < 1 }, "in between, part of the file")
    }
}

extension IngestorTests {
    /// A file beyond the aggregate's bounds (here: more distinct client days than allowed)
    /// is quarantined with the reason, nothing of it stored, and the next file goes on.
    @Test func quarantinesAFileBeyondTheAggregateBoundsInsteadOfTrapping() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        var options = Ingestor.Options(dataFolder: fixture.folder)
        options.limits.maxClientDays = 100
        let ingestor = Ingestor(store: fixture.store, index: try fixture.store.registry.loadIndex(), options: options)
        let crowded = try fixture.write("crowded.log", TestLog.postfix(lines: 2000, seed: 4, clients: 5000))
        let small = try fixture.write("small.log", TestLog.postfix(lines: 300, seed: 5, clients: 20))
        let outcomes = try ingestor.ingest(files: [crowded, small], reporter: fixture.reporter("isp-a"), now: time("2026-11-29T06:00:00Z"))
        #expect(outcomes.map(\.status) == [.quarantined, .ingested])
        #expect(outcomes[0].error == "cannot be aggregated: more than 100 distinct client days in one file (split the file, or raise the bound)")
        #expect(try fixture.count("SELECT COUNT(*) FROM segment") == 1)
        #expect(try fixture.count("SELECT COUNT(*) FROM shipment WHERE status = 'quarantined' AND file_name = 'crowded.log'") == 1)
    }
}
