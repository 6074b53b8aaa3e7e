@testable import EnforcementEngine
import Foundation
import GRDB
import Primitives
import RegistryClient
import Testing

/// Segments of several shipments: the format-3 blocks that name each record's member, and
/// the migration that gave every existing segment its one member.
struct SegmentMembersTests {
    static let day: Int64 = 86_400_000

    static func record(_ key: [UInt8], day: Int32, count: Int, line: Int) -> SegmentRecord {
        SegmentRecord(
            key: key, day: day, first: Int64(day) * Self.day + 1000, last: Int64(day) * Self.day + 5000,
            counts: [DayCounts.Entry(hourOfDay: 0, kind: 3, reason: 2, status: 1, count: count)], samples: [.init(kind: 3, reason: 2, line: line, offset: UInt64(line) * 90)])
    }

    /// Each record comes back with the member it was written with; a format-2 block's
    /// records are all member 0.
    @Test func memberBlocksKeepEachRecordsMember() throws {
        var written: [(SegmentRecord, Int)] = []
        for n in 0..<3000 {
            let key: [UInt8] = [100, 64, UInt8(n >> 8), UInt8(n & 0xFF)]
            for member in 0..<(1 + n % 3) { written.append((Self.record(key, day: 20_500 + Int32(member), count: n + member, line: n * 7 + member), member * 5 + n % 2)) }
        }
        var writer = SegmentCodec.BlockWriter(members: true)
        for (record, member) in written { try writer.add(record, member: member) }
        let blocks = try writer.finish()
        #expect(blocks.count > 1)
        var read: [(SegmentRecord, Int)] = []
        for block in blocks {
            let raw = try block.data.withUnsafeBytes { try SegmentCodec.inflate($0) }
            #expect(raw.first == SegmentCodec.memberFormat)
            try raw.withUnsafeBytes { bytes in try SegmentCodec.forEachRecord(bytes) { read.append((SegmentCodec.record($0), $0.member)) } }
        }
        #expect(read.map(\.0) == written.map(\.0) && read.map(\.1) == written.map(\.1))

        var plain = SegmentCodec.BlockWriter()
        for (record, _) in written.prefix(10) { try plain.add(record) }
        let raw = try plain.finish()[0].data.withUnsafeBytes { try SegmentCodec.inflate($0) }
        #expect(raw.first == SegmentCodec.format)
        var members: [Int] = []
        try raw.withUnsafeBytes { bytes in try SegmentCodec.forEachRecord(bytes) { members.append($0.member) } }
        #expect(members == Array(repeating: 0, count: 10))
    }

    /// A database whose segments name their shipment (before compaction existed) opens with
    /// each segment's shipment as its member 0: the same records, keys checked, the member
    /// rows immutable.
    @Test func migratesEachSegmentToItsShipmentAsMemberZero() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-members-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("abuse-ingest.db").path
        let records = (0..<50).map { Self.record([192, 0, 2, UInt8($0)], day: 20_500, count: $0 + 1, line: $0 + 1) }
        let segment = try EncodedSegment(records: records)
        do {
            let pool = try DatabaseConnection.open(path: path)
            _ = try RegistryStore(database: pool)
            var migrator = DatabaseMigrator()
            EngineMigrations.register(in: &migrator)
            try migrator.migrate(pool, upTo: "engine-v6-notices")
            try pool.write { db in
                try db.execute(sql: "INSERT INTO reporter (id, name, organisation, timezone, unparsed_threshold, created_at) VALUES ('isp-a', 'A', 'A', 'UTC', 0.05, 0)")
                for n in 1...2 {
                    try db.execute(
                        sql: """
                            INSERT INTO shipment (reporter_id, sha256, file_name, status, received_at, bytes, lines, events, skipped, unparsed,
                                future_events, distant_events, gap_hours)
                            VALUES ('isp-a', ?, ?, 'ingested', 0, 0, 0, 0, 0, 0, 0, 0, 0)
                            """, arguments: [String(repeating: "\(n)", count: 64), "f\(n).log"])
                    try db.execute(sql: "INSERT INTO segment (shipment_id, reporter_id, first_day, last_day, records) VALUES (?, 'isp-a', 20500, 20500, 50)", arguments: [n])
                    for block in segment.blocks {
                        try db.execute(sql: "INSERT INTO segment_block (segment_id, first_key, data) VALUES (?, ?, ?)", arguments: [db.lastInsertedRowID, Data(block.firstKey), Data(block.data)])
                    }
                }
            }
        }
        let store = try EngineStore(path: path)
        let members = try store.database.read { db in try Row.fetchAll(db, sql: "SELECT segment_id, member, shipment_id FROM segment_member ORDER BY 1").map { [$0[0], $0[1], $0[2]] as [Int64] } }
        #expect(members == [[1, 0, 1], [2, 0, 2]])
        let found = try store.records(of: IPAddress("192.0.2.7")!)
        #expect(found.map(\.shipmentSHA256) == [String(repeating: "1", count: 64), String(repeating: "2", count: 64)])
        #expect(found.map(\.record) == [records[7], records[7]])
        #expect(try store.database.read { try Row.fetchAll($0, sql: "PRAGMA foreign_key_check") }.isEmpty)
        #expect(throws: (any Error).self, "members stay immutable") {
            try store.database.write { db in try db.execute(sql: "UPDATE segment_member SET shipment_id = 2 WHERE segment_id = 1") }
        }
        #expect(throws: (any Error).self, "segments stay immutable") {
            try store.database.write { db in try db.execute(sql: "UPDATE segment SET records = 1") }
        }
    }

    /// A record whose member the segment does not list (a damaged database) is an error
    /// naming the segment, not a record given to the wrong shipment.
    @Test func refusesARecordOfAMemberTheSegmentDoesNotList() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let record = Self.record([192, 0, 2, 9], day: 20_500, count: 3, line: 4)
        // A shipment without records has no segment: the damaged segment's member 0.
        try fixture.store.commit(testShipment(sha256: String(repeating: "ab", count: 32), fileName: "a.log"), segment: try EncodedSegment(records: []))
        var writer = SegmentCodec.BlockWriter(members: true)
        try writer.add(record, member: 1)
        let block = try writer.finish()[0]
        try fixture.store.database.write { db in
            try db.execute(sql: "INSERT INTO segment (reporter_id, first_day, last_day, records) VALUES ('isp-a', 20500, 20500, 1)")
            let id = db.lastInsertedRowID
            try db.execute(sql: "INSERT INTO segment_member (segment_id, member, shipment_id) SELECT ?, 0, id FROM shipment", arguments: [id])
            try db.execute(sql: "INSERT INTO segment_block (segment_id, first_key, data) VALUES (?, ?, ?)", arguments: [id, Data(block.firstKey), Data(block.data)])
        }
        #expect {
            try fixture.store.records(of: IPAddress("192.0.2.9")!)
        } throws: { error in
            (error as? CorruptSegment).map { "\($0)".contains("member 1, which the segment does not list") } == true
        }
        #expect(throws: CorruptSegment.self) { try fixture.store.forEachClient(from: 20_500 * Self.day, to: 20_501 * Self.day) { _ in } }
    }
}
