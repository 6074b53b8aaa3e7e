import Foundation
import RegistryClient

/// One segment's whole records (counts and samples) read block by block in key order, for
/// compaction: each record with the shipment it came from.
final class SegmentRecordStream: MergeStream {
    struct Item {
        var record: SegmentRecord
        var key: SegmentCodec.Key
        var shipment: Int64
    }

    let segmentID: Int64
    /// The segment's shipments by member number.
    private let shipments: [Int64]
    private var items: [Item] = []
    private var position = 0
    private var blocks: SegmentBlockPager

    init(segmentID: Int64, firstDay: Int64, shipments: [Int64]) {
        self.segmentID = segmentID
        self.shipments = shipments
        blocks = SegmentBlockPager(segmentID: segmentID, firstDay: firstDay)
    }

    var current: Item? { position < items.count ? items[position] : nil }

    func precedes(_ other: SegmentRecordStream) -> Bool {
        let x = current!, y = other.current!
        return (x.key, x.record.day, x.shipment) < (y.key, y.record.day, y.shipment)
    }

    /// Moves to the next record, reading the next block when this one is done.
    func advance(_ db: any SQLSession) throws {
        if position < items.count { position += 1 }
        while position >= items.count {
            guard let stored = try blocks.next(db) else { return }
            items.removeAll(keepingCapacity: true)
            position = 0
            try CorruptSegment.reading(segment: segmentID, shipment: nil, firstKey: stored.firstKey) {
                let raw = try stored.data.withUnsafeBytes { try SegmentCodec.inflate($0) }
                try raw.withUnsafeBytes { bytes in
                    try SegmentCodec.forEachRecord(bytes) { view in
                        guard view.member < shipments.count else { throw SegmentCodec.MalformedBlock() }
                        items.append(Item(record: SegmentCodec.record(view), key: view.key, shipment: shipments[view.member]))
                    }
                }
            }
        }
    }
}
