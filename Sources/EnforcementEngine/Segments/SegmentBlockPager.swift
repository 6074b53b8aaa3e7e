import Foundation
import RegistryClient

/// A segment's stored blocks in key order, fetched a few at a time (one prepared statement
/// for every segment and page): the reading shared by the evaluation's and compaction's
/// streams. On PostgreSQL the segment's first day names the partition its blocks are in.
struct SegmentBlockPager {
    struct Block {
        var firstKey: [UInt8]
        var data: [UInt8]
    }

    static let blocksPerFetch = 8
    let segmentID: Int64
    let firstDay: Int64
    private var pending: [Block] = []
    private var lastKey: [UInt8] = []
    private var exhausted = false

    init(segmentID: Int64, firstDay: Int64) {
        self.segmentID = segmentID
        self.firstDay = firstDay
    }

    /// The next block, nil after the last.
    mutating func next(_ db: any SQLSession) throws -> Block? {
        if pending.isEmpty {
            guard !exhausted else { return nil }
            let partition = db.dialect == .postgres ? " AND first_day = ?" : ""
            let rows = try db.rows(
                "SELECT first_key, data FROM segment_block WHERE segment_id = ? AND first_key > ?\(partition) ORDER BY first_key LIMIT ?",
                [.integer(segmentID), .blob(lastKey)] + (db.dialect == .postgres ? [.integer(firstDay)] : []) + [.integer(Self.blocksPerFetch)]
            ) { row in Block(firstKey: try row.bytes(0) ?? [], data: try row.bytes(1) ?? []) }
            if rows.count < Self.blocksPerFetch { exhausted = true }
            guard let last = rows.last else { return nil }
            lastKey = last.firstKey
            pending = rows.reversed()
        }
        return pending.removeLast()
    }
}
