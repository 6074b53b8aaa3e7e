import Foundation
import Primitives
import RegistryClient

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

    /// The advisory lock a compaction's week holds on PostgreSQL ("compacts" in ASCII).
    static let compactionLock: Int64 = 0x636f_6d70_6163_7473

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
        let planned: [(reporter: String, week: Int64)] = try sql.read { db in
            try db.rows(
                """
                SELECT reporter_id, \(Self.weekOfFirstDay) FROM segment WHERE (CAST(? AS TEXT) IS NULL OR reporter_id = ?)
                GROUP BY reporter_id, \(Self.weekOfFirstDay) HAVING COUNT(*) > 1 AND \(Self.weekOfFirstDay) <= ?
                ORDER BY 2, 1
                """, [.optional(reporter), .optional(reporter), .integer(lastWeek)]
            ) { (try $0.requiredText(0), try $0.required(1)) }
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

    /// `week(ofDay:)` of a segment's first day, in SQL.
    static let weekOfFirstDay = "(first_day + 3 - ((first_day + 3) % 7 + 7) % 7) / 7"

    func segmentCount() throws -> Int {
        Int(try sql.read { db in try db.integer("SELECT COUNT(*) FROM segment") } ?? 0)
    }

    static func dayText(_ day: Int64) -> String { String(ISOTime.format(millis: day * 86_400_000, fraction: false).prefix(10)) }

    /// One week in one transaction; the segments are read again in it, so a concurrent
    /// compaction or a shipment committed meanwhile is taken as it is. A week whose records
    /// cannot be merged (a damaged segment, a client too large for one block) is left as it
    /// was, with the reason; the other weeks go on.
    private func compactWeek(reporter: String, week: Int64, dryRun: Bool) throws -> Compaction.Week? {
        let monday = Self.monday(ofWeek: week)
        var result = Compaction.Week(reporter: reporter, week: Self.dayText(monday), segments: 0, records: 0, bytesBefore: 0, bytesAfter: 0, skipped: nil)
        let work = { (db: any SQLSession) throws -> Void in
            // On PostgreSQL, compactions on several hosts take turns; each reads the week
            // again once it has the lock, so a week merged meanwhile is seen merged.
            if db.dialect == .postgres, !dryRun { try db.execute("SELECT pg_advisory_xact_lock(?)", [.integer(Self.compactionLock)]) }
            let segments = try db.rows(
                """
                SELECT id, first_day, last_day, records, (SELECT SUM(length(data)) FROM segment_block b WHERE b.segment_id = segment.id)
                FROM segment WHERE reporter_id = ? AND first_day BETWEEN ? AND ? ORDER BY id
                """, [.text(reporter), .integer(monday), .integer(monday + 6)]
            ) { row in (id: try row.required(0), firstDay: try row.required(1), lastDay: try row.required(2), records: Int(try row.required(3)), bytes: Int(try row.integer(4) ?? 0)) }
            result.segments = segments.count
            result.records = segments.reduce(0) { $0 + $1.records }
            result.bytesBefore = segments.reduce(0) { $0 + $1.bytes }
            guard segments.count > 1 else { return }
            guard !dryRun else { return }
            // The members of the old segments, then the shipments in order: the new members.
            var streams: [SegmentRecordStream] = []
            var shipments: [Int64] = []
            for segment in segments {
                let ids = try db.rows("SELECT shipment_id FROM segment_member WHERE segment_id = ? ORDER BY member", [.integer(segment.id)]) { try $0.required(0) }
                shipments += ids
                streams.append(SegmentRecordStream(segmentID: segment.id, firstDay: segment.firstDay, shipments: ids))
            }
            shipments.sort()
            let memberOf = Dictionary(uniqueKeysWithValues: shipments.enumerated().map { ($1, $0) })
            let oldIDs = segments.map(\.id)
            let list = oldIDs.map(String.init).joined(separator: ",")
            // On PostgreSQL, members and blocks carry the segment's first day (their
            // partition); the merged segment goes in its earliest day's partition, which
            // exists, as a segment of that day does.
            let partitioned = db.dialect == .postgres
            let firstDay = segments.map(\.firstDay).min()!
            try db.execute("DELETE FROM segment_member WHERE segment_id IN (\(list))", [])
            guard
                let newID = try db.integer(
                    "INSERT INTO segment (reporter_id, first_day, last_day, records) VALUES (?, ?, ?, ?) RETURNING id",
                    [.text(reporter), .integer(firstDay), .integer(segments.map(\.lastDay).max()!), .integer(result.records)])
            else { throw SQLColumnError(column: 0, expected: "segment id", statement: "INSERT INTO segment") }
            for (member, shipment) in shipments.enumerated() {
                try db.execute(
                    partitioned
                        ? "INSERT INTO segment_member (segment_id, member, shipment_id, first_day) VALUES (?, ?, ?, ?)"
                        : "INSERT INTO segment_member (segment_id, member, shipment_id) VALUES (?, ?, ?)",
                    [.integer(newID), .integer(member), .integer(shipment)] + (partitioned ? [.integer(firstDay)] : []))
            }
            let insertBlock =
                partitioned
                ? "INSERT INTO segment_block (segment_id, first_key, data, key_filter, first_day) VALUES (?, ?, ?, ?, ?)"
                : "INSERT INTO segment_block (segment_id, first_key, data, key_filter) VALUES (?, ?, ?, ?)"
            var bytesAfter = 0
            var writer = SegmentCodec.BlockWriter(members: true, recordsPerBlock: SegmentCodec.compactedRecordsPerBlock) { block in
                bytesAfter += block.data.count
                try db.execute(insertBlock, [.integer(newID), .blob(block.firstKey), .blob(block.data), .blob(block.keyFilter)] + (partitioned ? [.integer(firstDay)] : []))
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
            try db.execute("DELETE FROM segment_block WHERE segment_id IN (\(list))", [])
            try db.execute("DELETE FROM segment WHERE id IN (\(list))", [])
            result.bytesAfter = bytesAfter
        }
        do {
            if dryRun { try sql.read(work) } else { try sql.write(work) }
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
