import Demo
import EnforcementEngine
import Foundation
import LogParsers
import Primitives

/// A small shipment's aggregates made directly (no log to parse): a reporter's clients of
/// one day, drawn from a pool of addresses (100.64.0.0 upwards, one in four), the probed
/// client among them every time.
enum SyntheticShipment {
    /// The client every shipment holds: the one the benchmarks look up.
    static func probe(pool: Int) -> IPAddress { IPAddress(v4: 0x6440_0000 + 4 * UInt32(pool / 2)) }

    static func make(reporter: String, name: String, seed: UInt64, day: Int64, clients: Int, pool: Int) throws -> (Shipment, EncodedSegment) {
        var rng = SplitMix64(seed: seed)
        var picked = Set<UInt32>([UInt32(pool / 2)])
        while picked.count < min(clients, pool) { picked.insert(UInt32(rng.next() % UInt64(pool))) }
        let records = picked.sorted().map { k -> SegmentRecord in
            let hour = UInt8((UInt64(k) &+ UInt64(day)) % 24)
            let first = day * 86_400_000 + Int64(hour) * 3_600_000
            let entries: [DayCounts.Entry] = [
                .init(hourOfDay: hour, kind: EventKind.connect.rawValue, reason: 255, status: 3, count: 1 + Int(k % 7)),
                .init(hourOfDay: hour, kind: EventKind.rejected.rawValue, reason: RejectReason.unknownRecipient.rawValue, status: 3, count: k % 97 == 0 ? 40 : Int(k % 3)),
            ].filter { $0.count > 0 }.sorted()
            return SegmentRecord(key: Array(IPKey.bytes(IPAddress(v4: 0x6440_0000 + k * 4))), day: Int32(day), first: first, last: first + 60_000, counts: entries, samples: [])
        }
        let shipment = Shipment(
            reporterID: reporter, sha256: Digest.sha256(Array(name.utf8)), fileName: name, status: .ingested, receivedAt: (day + 1) * 86_400_000, bytes: 0,
            lines: records.count, events: records.count, skipped: 0, unparsed: 0, firstEvent: day * 86_400_000, lastEvent: (day + 1) * 86_400_000 - 1,
            futureEvents: 0, distantEvents: 0, gapHours: 0, error: nil)
        return (shipment, try EncodedSegment(records: records))
    }
}
