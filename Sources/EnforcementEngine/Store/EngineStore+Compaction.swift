import Foundation
import GRDB
import Primitives

/// Compaction: the segments of one reporter's week merged into one, so that a lookup reads
/// about one segment per reporter and week however many shipments came. Each week is one
/// transaction: the new segment is written from the old ones (a k-way merge, one block of
/// each in memory) and the old ones are deleted in it, so a reader sees either the old set or
/// the new one. Records, samples and their shipments are kept as they were; only the blocks
/// that hold them change.
extension EngineStore {
    /// The week of a day: weeks start on Monday (1970-01-01 was a Thursday, week 0).
    static func week(ofDay day: Int64) -> Int64 {
        let shifted = day + 3
        return shifted >= 0 ? shifted / 7 : -((-shifted + 6) / 7)
    }

    /// The Monday of `week`, as days since 1970-01-01.
    static func monday(ofWeek week: Int64) -> Int64 { week * 7 - 3 }

    /// Merges the segments of each reporter's week (by their first day) that ended before
    /// `beforeDay` (days since 1970-01-01) and has more than one segment; only `reporter`'s
    /// when given. `dryRun` plans and writes nothing. `progress` is called after each week
    /// with what it did, the weeks done and the weeks planned; `shouldStop`, before each
    /// week, ends the run there (the weeks done stay done).
    public func compact(
        beforeDay: Int64, reporter: String? = nil, dryRun: Bool = false, shouldStop: (() -> Bool)? = nil,
        progress: ((_ week: Compaction.Week, _ done: Int, _ planned: Int) -> Void)? = nil
    ) throws -> Compaction {
        let lastWeek = Self.week(ofDay: beforeDay) - 1
        let planned: [(reporter: String, week: Int64)] = try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT reporter_id, (first_day + 3 - ((first_day + 3) % 7 + 7) % 7) / 7 AS week FROM segment
                    WHERE (?1 IS NULL OR reporter_id = ?1)
                    GROUP BY reporter_id, week HAVING COUNT(*) > 1 AND week <= ?2 ORDER BY week, reporter_id
                    """, arguments: [reporter, lastWeek]
            ).map { ($0[0], $0[1]) }
        }
        let before = try segmentCount()
        var weeks: [Compaction.Week] = []
        for (index, group) in planned.enumerated() {
            if shouldStop?() == true { break }
            // nil: the week no longer has two segments (a concurrent run merged it).
            guard let week = try compactWeek(reporter: group.reporter, week: group.week, dryRun: dryRun) else { continue }
            weeks.append(week)
            progress?(week, index + 1, planned.count)
        }
        let after = dryRun ? before - weeks.reduce(0) { $0 + ($1.skipped == nil ? $1.segments - 1 : 0) } : try segmentCount()
        return Compaction(
            before: Self.dayText(beforeDay), dryRun: dryRun, weeks: weeks, segmentsBefore: before, segmentsAfter: after)
    }

    func segmentCount() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM segment") ?? 0 }
    }

    static func dayText(_ day: Int64) -> String { String(ISOTime.format(millis: day * 86_400_000, fraction: false).prefix(10)) }

    /// One week in one transaction; the segments are read again in it, so a concurrent
    /// compaction or a shipment committed meanwhile is taken as it is. A week whose records
    /// cannot be merged (a damaged segment, a client too large for one block) is left as it
    /// was, with the reason; the other weeks go on.
    private func compactWeek(reporter: String, week: Int64, dryRun: Bool) throws -> Compaction.Week? {
        let monday = Self.monday(ofWeek: week)
        var result = Compaction.Week(reporter: reporter, week: Self.dayText(monday), segments: 0, records: 0, bytesBefore: 0, bytesAfter: 0, skipped: nil)
        let work = { (db: Database) throws -> Void in
            let segments = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, first_day, last_day, records, (SELECT SUM(length(data)) FROM segment_block WHERE segment_id = segment.id)
                    FROM segment WHERE reporter_id = ? AND first_day BETWEEN ? AND ? ORDER BY id
                    """, arguments: [reporter, monday, monday + 6])
            result.segments = segments.count
            result.records = segments.reduce(0) { $0 + ($1[3] as Int) }
            result.bytesBefore = segments.reduce(0) { $0 + (($1[4] as Int?) ?? 0) }
            guard segments.count > 1 else { return }
            guard !dryRun else { return }
            // The members of the old segments, then the shipments in order: the new members.
            var streams: [SegmentRecordStream] = []
            var shipments: [Int64] = []
            for segment in segments {
                let ids = try Int64.fetchAll(db, sql: "SELECT shipment_id FROM segment_member WHERE segment_id = ? ORDER BY member", arguments: [segment[0] as Int64])
                shipments += ids
                streams.append(SegmentRecordStream(segmentID: segment[0], shipments: ids))
            }
            shipments.sort()
            let memberOf = Dictionary(uniqueKeysWithValues: shipments.enumerated().map { ($1, $0) })
            let oldIDs = segments.map { $0[0] as Int64 }
            let list = oldIDs.map(String.init).joined(separator: ",")
            try db.execute(sql: "DELETE FROM segment_member WHERE segment_id IN (\(list))")
            try db.execute(
                sql: "INSERT INTO segment (reporter_id, first_day, last_day, records) VALUES (?, ?, ?, ?)",
                arguments: [reporter, segments.map { $0[1] as Int64 }.min()!, segments.map { $0[2] as Int64 }.max()!, result.records])
            let newID = db.lastInsertedRowID
            for (member, shipment) in shipments.enumerated() {
                try db.execute(sql: "INSERT INTO segment_member (segment_id, member, shipment_id) VALUES (?, ?, ?)", arguments: [newID, member, shipment])
            }
            let insert = try db.cachedStatement(sql: "INSERT INTO segment_block (segment_id, first_key, data, key_filter) VALUES (?, ?, ?, ?)")
            var bytesAfter = 0
            var writer = SegmentCodec.BlockWriter(members: true, recordsPerBlock: SegmentCodec.compactedRecordsPerBlock) { block in
                bytesAfter += block.data.count
                try insert.execute(arguments: [newID, Data(block.firstKey), Data(block.data), Data(block.keyFilter)])
            }
            for stream in streams { try stream.advance(db) }
            var heap = StreamHeap(streams.filter { $0.current != nil })
            var written = 0
            while let stream = heap.first {
                let item = stream.current!
                try writer.add(item.record, member: memberOf[item.shipment]!)
                written += 1
                try stream.advance(db)
                heap.replaceFirst(keeping: stream.current != nil)
            }
            _ = try writer.finish()
            guard written == result.records else {
                throw CorruptSegment(segmentID: oldIDs[0], shipmentSHA256: nil, blockFirstKey: nil, cause: "the week's segments hold \(written) records, their rows say \(result.records)")
            }
            try db.execute(sql: "DELETE FROM segment_block WHERE segment_id IN (\(list))")
            try db.execute(sql: "DELETE FROM segment WHERE id IN (\(list))")
            result.bytesAfter = bytesAfter
        }
        do {
            if dryRun { try database.read(work) } else { try database.write(work) }
        } catch let error as SegmentCodec.BlockTooLarge {
            result.skipped = "\(error)"
            result.bytesAfter = 0
        } catch let error as CorruptSegment {
            result.skipped = "\(error)"
            result.bytesAfter = 0
        }
        return result.segments > 1 ? result : nil
    }
}
