@testable import EnforcementEngine
import Foundation
import GRDB
import LogParsers
import RegistryClient
import Testing

struct IngestorTests {
    @Test func ingestsAFileOnceAndReportsTheSameBytesAsDuplicate() throws {
        let fixture = try IngestFixture()
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

    @Test func quarantinesACorruptGzipInTheMiddleOfABatchAndCommitsTheOthers() throws {
        let fixture = try IngestFixture()
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

    @Test func quarantinesAFileWithHalfGarbageAsFormatDrift() throws {
        let fixture = try IngestFixture()
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

    @Test func judgesEachEventByTheStatusInForceAtItsTime() throws {
        let fixture = try IngestFixture()
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

    @Test func keepsDeterministicBoundedSamples() throws {
        let first = try IngestFixture()
        defer { first.remove() }
        let second = try IngestFixture()
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
        reporterID: "isp-a", sha256: sha256, fileName: fileName, status: "ingested", receivedAt: 0, bytes: 0, lines: 0, events: 0, skipped: 0, unparsed: 0,
        firstEvent: nil, lastEvent: nil, futureEvents: 0, distantEvents: 0, gapHours: 0, error: nil)
}
func ip(_ text: String) -> IPAddress { IPAddress(text)! }

struct SegmentCodecTests {
    /// Random records (IPv4 and IPv6, whole-second and millisecond times, several days of
    /// one client, many counts and samples) come back from a stored segment unchanged.
    @Test func recordsRoundTripThroughStoredBlocks() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        var rng = SplitMix64(seed: 9)
        var records: [SegmentRecord] = []
        for n in 0..<3_000 {
            let key: [UInt8] = n % 7 == 0 ? (0..<16).map { _ in UInt8(rng.next() & 0xFF) } : [100, 64, UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
            for d in 0..<Int(1 + rng.next() % 3) {
                let day = Int32(20_500 + d)
                let first = Int64(day) * 86_400_000 + Int64(rng.next() % 86_400) * (n % 2 == 0 ? 1000 : 1) + (n % 3 == 0 ? Int64(rng.next() % 1000) : 0)
                let counts = (0..<Int(rng.next() % 6)).map { k in
                    DayCounts.Entry(hourOfDay: UInt8(k * 3), kind: UInt8(rng.next() % 8), reason: UInt8(rng.next() % 20), status: UInt8(rng.next() % 5), count: Int(1 + rng.next() % 100_000))
                }
                let samples = (0..<Int(rng.next() % 4)).map { _ in
                    SegmentRecord.Sample(kind: 3, reason: UInt8(rng.next() % 20), line: Int(1 + rng.next() % 5_000_000), offset: rng.next() % (1 << 40))
                }
                records.append(SegmentRecord(key: key, day: day, first: first, last: first + Int64(rng.next() % 1_000_000), counts: counts, samples: samples))
            }
        }
        let sha = String(repeating: "ab", count: 32)
        let shipment = testShipment(sha256: sha, fileName: "x.log")
        try fixture.store.commit(shipment, segment: try EncodedSegment(records: records))
        var back: [SegmentRecord] = []
        try fixture.store.forEachRecord { back.append($0.record) }
        #expect(back == records.sorted(by: SegmentRecord.precedes))
        #expect(try fixture.count("SELECT COUNT(*) FROM segment_block") > 1, "several blocks")
        // One client's days are found together, in one block.
        let probe = try #require(records.first { candidate in candidate.key.count == 4 && records.filter { $0.key == candidate.key }.count == 3 })
        #expect(try fixture.store.records(of: probe.ip!).map(\.record) == records.filter { $0.key == probe.key })
        #expect(try fixture.store.records(of: IPAddress("192.0.2.1")!).isEmpty)
    }

    /// The window scan merges many segments (overlapping clients, IPv4 and IPv6, days in
    /// and out of the window) into one activity per client, in address order, with every
    /// count of the window's days: the same as grouping all records by hand.
    @Test func windowScanMergesSegmentsLikeGroupingByHand() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        var rng = SplitMix64(seed: 21)
        var pool: [[UInt8]] = []
        for n in 0..<400 {
            if n % 9 == 0 {
                var key: [UInt8] = [0x20, 0x01, 0x0d, 0xb8]
                for _ in 0..<12 { key.append(UInt8(rng.next() & 0xFF)) }
                pool.append(key)
            } else {
                pool.append([UInt8(1 + n % 223), UInt8(rng.next() & 0xFF), 0, UInt8(n & 0xFF)])
            }
        }
        for s in 0..<12 {
            var records: [String: SegmentRecord] = [:]
            for _ in 0..<300 {
                let key = pool[Int(rng.next() % UInt64(pool.count))]
                let day = Int32(20_500 + Int(rng.next() % 4))
                let entry = DayCounts.Entry(hourOfDay: UInt8(rng.next() % 24), kind: UInt8(rng.next() % 8), reason: 255, status: 0, count: Int(1 + rng.next() % 50))
                let id = "\(key) \(day)"
                var record = records[id] ?? SegmentRecord(key: key, day: day, first: Int64(day) * 86_400_000, last: Int64(day) * 86_400_000, counts: [], samples: [])
                let same = { (e: DayCounts.Entry) in (e.hourOfDay, e.kind, e.reason, e.status) == (entry.hourOfDay, entry.kind, entry.reason, entry.status) }
                if let i = record.counts.firstIndex(where: same) { record.counts[i].count += entry.count } else { record.counts.append(entry) }
                record.counts.sort()
                records[id] = record
            }
            let shipment = testShipment(sha256: String(format: "%064x", s), fileName: "s\(s).log")
            try fixture.store.commit(shipment, segment: try EncodedSegment(records: Array(records.values)))
        }
        // By hand: every record of days 20501…20502, grouped by client.
        var expected: [String: [String]] = [:]
        try fixture.store.forEachRecord { item in
            guard (20_501...20_502).contains(item.record.day) else { return }
            for e in item.record.counts {
                expected[item.record.ip!.description, default: []].append("\(Int64(item.record.day) * 24 + Int64(e.hourOfDay)) \(e.kind) \(e.count)")
            }
        }
        var seen: [String: [String]] = [:]
        var order: [IPAddress] = []
        try fixture.store.forEachClient(from: 20_501 * 86_400_000, to: 20_502 * 86_400_000 + 1) { client in
            #expect(seen[client.ip.description] == nil, "one activity per client")
            order.append(client.ip)
            seen[client.ip.description] = client.rows.map { "\($0.hour) \($0.kind) \($0.count)" }
        }
        #expect(expected.count > 100, "the window holds many clients")
        #expect(seen.keys.sorted() == expected.keys.sorted())
        for (client, rows) in expected { #expect(seen[client]?.sorted() == rows.sorted(), "\(client)") }
        let keys = order.map { Array(IPKey.bytes($0)) }
        #expect(zip(keys, keys.dropFirst()).allSatisfy { SegmentRecord.compareKeys($0, $1) < 0 }, "address order")
    }

    @Test func refusesAMalformedBlock() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let record = SegmentRecord(key: [192, 0, 2, 1], day: 20_500, first: 20_500 * 86_400_000, last: 20_500 * 86_400_000, counts: [], samples: [])
        let shipment = testShipment(sha256: String(repeating: "cd", count: 32), fileName: "x.log")
        try fixture.store.commit(shipment, segment: try EncodedSegment(records: [record]))
        // Blocks are immutable for the schema; damage one the way a broken disk would.
        try fixture.store.database.write { db in
            try db.execute(sql: "DROP TRIGGER segment_block_no_update")
            try db.execute(sql: "UPDATE segment_block SET data = x'0a789c0300000000010100'")
        }
        #expect(throws: (any Error).self) { try fixture.store.records(of: IPAddress("192.0.2.1")!) }
    }
}

struct LegacyBlockMigrationTests {
    /// A block of the first, row-wise layout (written by an independent encoder of that
    /// layout) is rewritten in the column layout when the database is opened, with the same
    /// records, and stays immutable.
    @Test func rewritesRowLayoutBlocksRecordForRecord() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let day: Int64 = 86_400_000
        let v6 = Array(IPKey.bytes(ip("2001:db8::1")))
        let expected = [
            SegmentRecord(
                key: v6, day: 20_500, first: 20_500 * day + 7_200_000, last: 20_500 * day + 7_200_000,
                counts: [DayCounts.Entry(hourOfDay: 2, kind: 3, reason: 2, status: 1, count: 4)],
                samples: [.init(kind: 3, reason: 2, line: 5, offset: 600)]),
            SegmentRecord(
                key: [192, 0, 2, 1], day: 20_500, first: 20_500 * day + 3_600_000, last: 20_500 * day + 3_601_500,
                counts: [
                    DayCounts.Entry(hourOfDay: 1, kind: 3, reason: 2, status: 1, count: 7),
                    DayCounts.Entry(hourOfDay: 5, kind: 4, reason: 255, status: 0, count: 300),
                ],
                samples: [.init(kind: 3, reason: 2, line: 12_345, offset: 1_500_000), .init(kind: 3, reason: 2, line: 99, offset: 12_000)]),
            SegmentRecord(
                key: [192, 0, 2, 1], day: 20_501, first: 20_501 * day, last: 20_501 * day + 86_399_000,
                counts: [DayCounts.Entry(hourOfDay: 23, kind: 0, reason: 255, status: 0, count: 1)], samples: []),
            SegmentRecord(
                key: [198, 51, 100, 7], day: 20_501, first: 20_501 * day + 45_296_789, last: 20_501 * day + 45_296_790,
                counts: [DayCounts.Entry(hourOfDay: 12, kind: 5, reason: 255, status: 2, count: 1_000_000)],
                samples: [.init(kind: 5, reason: 255, line: 1, offset: 0)]),
        ]
        let legacy =
            "73789c635460e4ddc180008c5316301e286060646266626461646662bdc1c2d0d8d2d0c003145f60b1539c0928c6c8cecaf29f610d1350cdce8407c7a29999921fc432304c5dc0c8f0ef2817a338c37f06460686b623670d8142ab37cdd46666e461fdcf74a0c59691f53f23030070701d13"
        try fixture.store.commit(testShipment(sha256: String(repeating: "ef", count: 32), fileName: "old.log"), segment: try EncodedSegment(records: expected))
        #expect(try fixture.count("SELECT COUNT(*) FROM segment_block") == 1)
        // Put the database back where a release with row-wise blocks left it.
        try fixture.store.database.write { db in
            try db.execute(sql: "DROP TRIGGER segment_block_no_update")
            try db.execute(sql: "UPDATE segment_block SET data = ?", arguments: [Data(hexString: legacy)])
            try db.execute(sql: "CREATE TRIGGER segment_block_no_update BEFORE UPDATE ON segment_block BEGIN SELECT RAISE(ABORT, 'segments are immutable'); END")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'engine-v4-column-blocks'")
        }
        #expect(throws: (any Error).self, "the row layout is not read as columns") { try fixture.store.records(of: ip("192.0.2.1")) }

        let reopened = try EngineStore(database: try DatabaseConnection.open(path: fixture.databasePath))
        var back: [SegmentRecord] = []
        try reopened.forEachRecord { back.append($0.record) }
        #expect(back == expected)
        #expect(try reopened.records(of: ip("192.0.2.1")).map(\.record) == Array(expected[1...2]))
        let format = try reopened.database.read { db in
            try (Data.fetchOne(db, sql: "SELECT data FROM segment_block") ?? Data()).withUnsafeBytes { try SegmentCodec.inflate($0).first }
        }
        #expect(format == SegmentCodec.format)
        #expect(throws: (any Error).self, "blocks stay immutable") {
            try reopened.database.write { db in try db.execute(sql: "UPDATE segment_block SET data = x'00'") }
        }
    }
}

extension Data {
    init(hexString: String) {
        var bytes: [UInt8] = []
        var index = hexString.startIndex
        while index < hexString.endIndex {
            let next = hexString.index(index, offsetBy: 2)
            bytes.append(UInt8(hexString[index..<next], radix: 16)!)
            index = next
        }
        self.init(bytes)
    }
}

struct ArchiveCopyTests {
    /// The archive copy is written while the file is read; bytes that are not the ones
    /// identified (the file changed under the reader) leave nothing behind.
    @Test func refusesBytesThatAreNotTheIdentifiedFile() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let archive = LogArchive(dataFolder: fixture.folder)
        let shipped = Array("Nov 28 00:00:01 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]\n".utf8)
        let sha = try sha256Hex(shipped)
        let good = try archive.copy(sha256: sha)
        shipped.withUnsafeBytes { good.write(UnsafeRawBufferPointer(rebasing: $0[0..<10])) }
        shipped.withUnsafeBytes { good.write(UnsafeRawBufferPointer(rebasing: $0[10...])) }
        let stored = try good.commit(path: "mx1.log", compressed: false)
        #expect(try Data(contentsOf: stored) == Data(shipped))
        #expect(stored.lastPathComponent == sha + ".log")

        var changed = shipped
        changed[5] ^= 1
        let otherSHA = try sha256Hex(shipped + [0x0A])
        let bad = try archive.copy(sha256: otherSHA)
        changed.withUnsafeBytes { bad.write($0) }
        #expect(throws: LogArchive.ArchiveError.self) { try bad.commit(path: "mx2.log", compressed: false) }
        #expect(archive.existing(sha256: otherSHA) == nil)
        let folder = archive.path(sha256: otherSHA, compressed: false).deletingLastPathComponent()
        let left = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        #expect(left.allSatisfy { !$0.hasSuffix(".tmp") }, "no temporary copy is left: \(left)")
    }
}

/// SHA-256 (hex) of bytes, through the engine's own digest of a file.
func sha256Hex(_ bytes: [UInt8]) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)")
    try Data(bytes).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    return try Digest.sha256(file: url.path).hex
}

struct LoadingIndexTests {
    /// Files read while the registry is still loading give exactly what they give with the
    /// registry loaded first (events wait for it, in order).
    @Test func ingestsTheSameWhileTheRegistryLoads() throws {
        let files = (1...2).map { n in (name: "mx\(n).log.gz", bytes: try! TestLog.gzip(TestLog.postfix(lines: 30_000, seed: UInt64(n)))) }
        func run(_ make: (IngestFixture) throws -> Ingestor) throws -> [String] {
            let fixture = try IngestFixture()
            defer { fixture.remove() }
            let paths = try files.map { try fixture.write($0.name, $0.bytes) }
            let outcomes = try make(fixture).ingest(files: paths, reporter: fixture.reporter("isp-a"), now: time("2026-11-29T06:00:00Z"))
            #expect(outcomes.map(\.status) == [.ingested, .ingested])
            return try fixture.snapshot()
        }
        let loadedFirst = try run { try $0.ingestor() }
        let loadedLate = try run { fixture in
            let registry = fixture.store.registry
            let slow = LoadingIndex {
                Thread.sleep(forTimeInterval: 0.3)
                return try registry.loadIndex()
            }
            return Ingestor(store: fixture.store, loading: slow, options: .init(dataFolder: fixture.folder))
        }
        #expect(loadedFirst.count > 100)
        #expect(loadedLate == loadedFirst)
    }

    /// A registry that cannot be loaded stops ingest before anything is committed.
    @Test func storesNothingWhenTheRegistryCannotBeLoaded() throws {
        struct Unreadable: Error {}
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let path = try fixture.write("mx1.log.gz", try TestLog.gzip(TestLog.postfix(lines: 2000)))
        let ingestor = Ingestor(store: fixture.store, loading: LoadingIndex { throw Unreadable() }, options: .init(dataFolder: fixture.folder))
        #expect(throws: Ingestor.StoreFailure.self) {
            try ingestor.ingest(files: [path], reporter: fixture.reporter("isp-a"), now: time("2026-11-29T06:00:00Z"))
        }
        #expect(try fixture.count("SELECT COUNT(*) FROM shipment") == 0)
        #expect(try fixture.count("SELECT COUNT(*) FROM segment_block") == 0)
    }
}
