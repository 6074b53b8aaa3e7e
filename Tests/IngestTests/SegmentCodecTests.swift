@testable import EnforcementEngine
import Demo
import Foundation
import GRDB
import LogParsers
import Primitives
import RegistryClient
import Testing

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
        // A lookup reads the keys first and decodes only the client's records: the same as
        // every record of the block filtered, for clients at the start, middle and end of
        // blocks, and for addresses between them that have none.
        let keys = Array(Set(records.map(\.key))).sorted { SegmentRecord.compareKeys($0, $1) < 0 }
        for (n, key) in keys.enumerated() where n % 11 == 0 || n == keys.count - 1 {
            let ip = try #require(IPKey.address(bytes: key))
            #expect(try fixture.store.records(of: ip).map(\.record) == records.filter { $0.key == key }, "\(ip)")
            var next = key
            next[next.count - 1] &+= 1
            if !keys.contains(next), let neighbour = IPKey.address(bytes: next) {
                #expect(try fixture.store.records(of: neighbour).isEmpty, "\(neighbour)")
            }
        }
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

extension SegmentCodecTests {
    /// One client's records that a block cannot hold are refused with a clear error
    /// before anything is written (ingest quarantines such a file).
    @Test func refusesAClientTooLargeForOneBlock() throws {
        let counts = (0..<3_000_000).map { n in
            DayCounts.Entry(hourOfDay: UInt8(n % 24), kind: UInt8(n % 8), reason: UInt8(n % 200), status: UInt8(n % 5), count: 1 + n)
        }
        let record = SegmentRecord(key: [192, 0, 2, 7], day: 20_500, first: 20_500 * 86_400_000, last: 20_500 * 86_400_000, counts: counts, samples: [])
        #expect {
            _ = try EncodedSegment(records: [record])
        } throws: { error in
            (error as? SegmentCodec.BlockTooLarge).map { "\($0)".contains("192.0.2.7") } ?? false
        }
    }
}
