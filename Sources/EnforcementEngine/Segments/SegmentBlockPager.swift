import Foundation
import GRDB

/// A segment's stored blocks in key order, fetched a few at a time (one cached statement for
/// every segment and page): the reading shared by the evaluation's and compaction's streams.
struct SegmentBlockPager {
    struct Block {
        var firstKey: Data
        var data: Data
    }

    static let blocksPerFetch = 8
    let segmentID: Int64
    private var pending: [Block] = []
    private var lastKey = Data()
    private var exhausted = false

    init(segmentID: Int64) {
        self.segmentID = segmentID
    }

    /// The next block, nil after the last.
    mutating func next(_ db: Database) throws -> Block? {
        if pending.isEmpty {
            guard !exhausted else { return nil }
            let statement = try db.cachedStatement(sql: "SELECT first_key, data FROM segment_block WHERE segment_id = ? AND first_key > ? ORDER BY first_key LIMIT ?")
            let rows = try Row.fetchAll(statement, arguments: [segmentID, lastKey, Self.blocksPerFetch])
            if rows.count < Self.blocksPerFetch { exhausted = true }
            guard let last = rows.last else { return nil }
            lastKey = last[0]
            pending = rows.reversed().map { Block(firstKey: $0[0], data: $0[1]) }
        }
        return pending.removeLast()
    }
}
