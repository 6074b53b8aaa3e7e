@testable import EnforcementEngine
import Foundation
import GRDB
import LogParsers
import RegistryClient
import Testing

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
