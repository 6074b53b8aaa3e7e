@testable import EnforcementEngine
import Demo
import Foundation
import GRDB
import Primitives
import Testing

/// The Bloom filter stored beside each block, which lets a lookup pass a block without its
/// client uninflated.
struct KeyFilterTests {
    static func key(_ text: String) -> SegmentCodec.Key { SegmentCodec.Key(IPAddress(text)!) }

    /// Every key put in is found (no false "absent", ever); of 100,000 keys not put in,
    /// about 1 % are "maybe".
    @Test func findsEveryKeyAndRarelyAnother() {
        var rng = SplitMix64(seed: 5)
        var keys: [SegmentCodec.Key] = []
        for n in 0..<1024 {
            keys.append(n % 5 == 0 ? SegmentCodec.Key(high: rng.next(), low: rng.next(), length: 16) : SegmentCodec.Key(high: UInt64(0x6440_0000 + UInt32(n) * 4) << 32, low: 0, length: 4))
        }
        let filter = SegmentCodec.KeyFilter.make(keys)
        #expect(filter.count == 1 + 1280)
        filter.withUnsafeBytes { bytes in
            #expect(keys.allSatisfy { SegmentCodec.KeyFilter.mayContain(bytes, $0) })
            var maybe = 0
            for n in 0..<100_000 {
                let absent = n % 2 == 0 ? SegmentCodec.Key(high: UInt64(0x0A00_0000 + UInt32(n)) << 32, low: 0, length: 4) : SegmentCodec.Key(high: rng.next(), low: rng.next(), length: 16)
                if SegmentCodec.KeyFilter.mayContain(bytes, absent) { maybe += 1 }
            }
            #expect(maybe > 200 && maybe < 2_000, "false maybes: \(maybe) of 100,000")
        }
        // An IPv4 key and the IPv6 key of the same leading bytes are different keys.
        let v4 = Self.key("100.64.0.4")
        let v6 = SegmentCodec.Key(high: v4.high, low: 0, length: 16)
        #expect(SegmentCodec.KeyFilter.hashes(v4) != SegmentCodec.KeyFilter.hashes(v6))
        // A malformed filter says "maybe": the block is read.
        #expect([UInt8]().withUnsafeBytes { SegmentCodec.KeyFilter.mayContain($0, v4) })
        #expect([UInt8](repeating: 0, count: 9).withUnsafeBytes { SegmentCodec.KeyFilter.mayContain($0, v4) })
    }

    /// Stored filters are read by later releases: the bytes of a small one are pinned.
    @Test func encodesTheFilterExactlyAsPinned() {
        let filter = SegmentCodec.KeyFilter.make([Self.key("192.0.2.1"), Self.key("198.51.100.7"), Self.key("2001:db8::1")])
        #expect(Hex.string(filter) == Self.pinned, "\(Hex.string(filter))")
    }

    static let pinned = "07c120fe0c44220102"

    /// A lookup passes a block whose filter excludes its client without reading it: here a
    /// damaged block, which would otherwise be an error, is not even inflated; the client it
    /// does hold is still found (and its damage reported).
    @Test func aLookupPassesTheBlocksItsFilterExcludes() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let day: Int64 = 86_400_000
        let record = SegmentRecord(
            key: [192, 0, 2, 9], day: 20_500, first: 20_500 * day, last: 20_500 * day + 1000,
            counts: [DayCounts.Entry(hourOfDay: 0, kind: 3, reason: 2, status: 1, count: 1)], samples: [])
        try fixture.store.commit(testShipment(sha256: String(repeating: "cd", count: 32), fileName: "a.log"), segment: try EncodedSegment(records: [record]))
        #expect(try fixture.store.records(of: IPAddress("192.0.2.9")!).count == 1)
        try fixture.store.database.write { db in
            try db.execute(sql: "DROP TRIGGER segment_block_no_update")
            try db.execute(sql: "UPDATE segment_block SET data = x'0501020304'")
        }
        #expect(try fixture.store.records(of: IPAddress("192.0.2.10")!).isEmpty, "the filter excludes it: the damaged block is not read")
        #expect(throws: CorruptSegment.self) { try fixture.store.records(of: IPAddress("192.0.2.9")!) }
    }
}
