import Foundation
import LogParsers
import Primitives
import RegistryClient

/// One segment read block by block in key order (a few blocks fetched at a time).
final class SegmentStream: MergeStream {
    struct Span {
        var sortKey: SegmentCodec.Key
        var day: Int32
        /// The record's shipment (its id, which orders a client's records of one day).
        var shipment: Int64
        var counts: Range<Int>
    }

    let segmentID: Int64
    let reporter: String
    /// The segment's shipments by member number.
    let shipments: [Int64]
    private var raw: [UInt8] = []
    private var spans: [Span] = []
    private var position = 0
    private var blocks: SegmentBlockPager

    init(segmentID: Int64, firstDay: Int64, reporter: String, shipments: [Int64]) {
        self.segmentID = segmentID
        blocks = SegmentBlockPager(segmentID: segmentID, firstDay: firstDay)
        self.reporter = reporter
        self.shipments = shipments
    }

    var current: Span? { position < spans.count ? spans[position] : nil }

    /// Moves to the next record, loading the next block when this one is done.
    func advance(_ db: any SQLSession) throws {
        if position < spans.count { position += 1 }
        while position >= spans.count {
            guard let stored = try blocks.next(db) else { return }
            spans.removeAll(keepingCapacity: true)
            position = 0
            try CorruptSegment.reading(segment: segmentID, shipment: nil, firstKey: stored.firstKey) {
                raw = try stored.data.withUnsafeBytes { try SegmentCodec.inflate($0) }
                try raw.withUnsafeBytes { base in
                    let origin = base.baseAddress!
                    try SegmentCodec.forEachRecord(base) { view in
                        let countsStart = view.counts.baseAddress.map { $0 - origin } ?? 0
                        guard view.member < shipments.count else { throw SegmentCodec.MalformedBlock() }
                        spans.append(Span(sortKey: view.key, day: view.day, shipment: shipments[view.member], counts: countsStart..<countsStart + view.counts.count))
                    }
                }
            }
        }
    }

    func precedes(_ other: SegmentStream) -> Bool {
        let x = current!, y = other.current!
        return (x.sortKey, x.day, x.shipment) < (y.sortKey, y.day, y.shipment)
    }

    func forEachCount(_ span: Span, _ body: (DayCounts.Entry) -> Void) {
        raw.withUnsafeBytes { base in SegmentCodec.forEachCount(UnsafeRawBufferPointer(rebasing: base[span.counts]), body) }
    }
}
