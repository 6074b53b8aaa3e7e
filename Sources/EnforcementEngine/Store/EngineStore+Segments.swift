import Foundation
import LogParsers
import Primitives
import RegistryClient

/// Reading the shipments' segments back: one client's records (one index seek and one
/// inflate per segment), and every client of a window in address order (a k-way merge of
/// the segments that cover it, one block of each in memory at a time).
extension EngineStore {
    /// A client's record in one shipment's segment.
    public struct ClientRecord: Sendable {
        public var reporter: String
        public var shipmentID: Int64
        public var shipmentSHA256: String
        public var record: SegmentRecord
    }

    /// Every record of `ip`, in shipment order (a shipment's records by day). A segment of
    /// one shipment and a compacted one give the same records, in the same order.
    public func records(of ip: IPAddress) throws -> [ClientRecord] {
        try sql.read { db in
            var result: [ClientRecord] = []
            var members = SegmentMembers()
            try forEachView(of: ip, db) { reporter, segment, first, view in
                let shipment = view.member == 0 ? first : try members.shipment(segment: segment, member: view.member, db)
                result.append(ClientRecord(reporter: reporter, shipmentID: shipment.id, shipmentSHA256: shipment.sha256, record: SegmentCodec.record(view)))
            }
            result.sort { ($0.shipmentID, $0.record.day) < ($1.shipmentID, $1.record.day) }
            return result
        }
    }

    /// Calls `body` with each record of `ip`, read in place, segment by segment (not in
    /// shipment order): its reporter, its segment and the segment's first shipment (member
    /// 0). One index seek and one block for each segment.
    func forEachView(
        of ip: IPAddress, _ db: any SQLSession,
        _ body: (_ reporter: String, _ segment: Int64, _ first: SegmentMembers.Shipment, _ view: SegmentCodec.RecordView) throws -> Void
    ) throws {
        let wanted = SegmentCodec.Key(ip)
        // On PostgreSQL, the block's day partition is named (one partition is searched, not
        // every day's), and the block is sought once per segment (LATERAL).
        let block =
            db.dialect == .postgres
            ? """
            JOIN segment_member m ON m.segment_id = s.id AND m.first_day = s.first_day AND m.member = 0
            CROSS JOIN LATERAL (
                SELECT data, first_key, key_filter FROM segment_block
                WHERE segment_id = s.id AND first_day = s.first_day AND first_key <= ?1 ORDER BY first_key DESC LIMIT 1) b
            """
            : """
            JOIN segment_member m ON m.segment_id = s.id AND m.member = 0
            JOIN segment_block b ON b.segment_id = s.id
                AND b.first_key = (SELECT first_key FROM segment_block WHERE segment_id = s.id AND first_key <= ?1 ORDER BY first_key DESC LIMIT 1)
            """
        try db.forEachRow(
            """
            SELECT s.reporter_id, m.shipment_id, sh.sha256, b.data, s.id, b.first_key, b.key_filter
            FROM segment s \(block) JOIN shipment sh ON sh.id = m.shipment_id
            ORDER BY s.id
            """, [.blob(Array(IPKey.bytes(ip)))]
        ) { row in
            // The block's filter says when the client is not in it: nothing to inflate.
            let absent = try row.withBlob(6) { filter in filter.map { !SegmentCodec.KeyFilter.mayContain($0, wanted) } ?? false }
            if absent { return }
            let reporter = try row.requiredText(0)
            let segment = try row.required(4)
            let first = SegmentMembers.Shipment(id: try row.required(1), sha256: try row.requiredText(2))
            try CorruptSegment.reading(segment: segment, shipment: first.sha256, firstKey: try row.bytes(5) ?? []) {
                let raw: [UInt8] = try row.withBlob(3) { data in try SegmentCodec.inflate(data ?? UnsafeRawBufferPointer(start: nil, count: 0)) }
                try raw.withUnsafeBytes { bytes in
                    try SegmentCodec.forEachRecord(bytes, only: wanted) { view in try body(reporter, segment, first, view) }
                }
            }
        }
    }

    /// Every stored record, segment by segment, block by block (a segment's records in
    /// address order, each with its shipment).
    public func forEachRecord(_ body: (ClientRecord) throws -> Void) throws {
        try sql.read { db in
            let segments = try db.rows("SELECT id, reporter_id FROM segment ORDER BY id") { (try $0.required(0), try $0.requiredText(1)) }
            var members = SegmentMembers()
            for (segmentID, reporter) in segments {
                try db.forEachRow("SELECT data, first_key FROM segment_block WHERE segment_id = ? ORDER BY first_key", [.integer(segmentID)]) { block in
                    var records: [ClientRecord] = []
                    try CorruptSegment.reading(segment: segmentID, shipment: nil, firstKey: try block.bytes(1) ?? []) {
                        let raw = try block.withBlob(0) { try SegmentCodec.inflate($0 ?? UnsafeRawBufferPointer(start: nil, count: 0)) }
                        try raw.withUnsafeBytes { bytes in
                            try SegmentCodec.forEachRecord(bytes) { view in
                                let shipment = try members.shipment(segment: segmentID, member: view.member, db)
                                records.append(ClientRecord(reporter: reporter, shipmentID: shipment.id, shipmentSHA256: shipment.sha256, record: SegmentCodec.record(view)))
                            }
                        }
                    }
                    for record in records { try body(record) }
                }
            }
        }
    }

    /// Streams the clients with events on the days of `from`…`to` (UTC ms), one at a time in
    /// address order, each with all its rows of those days.
    public func forEachClient(from: Int64, to: Int64, _ body: (ClientActivity) throws -> Void) throws {
        let firstDay = from / 86_400_000
        let lastDay = to / 86_400_000
        try sql.read { db in
            // A segment's members are consecutive rows (member order).
            var streams: [SegmentStream] = []
            var segment: (id: Int64, firstDay: Int64, reporter: String)?
            var shipments: [Int64] = []
            func open() throws {
                guard let s = segment else { return }
                let stream = SegmentStream(segmentID: s.id, firstDay: s.firstDay, reporter: s.reporter, shipments: shipments)
                try stream.advance(db)
                if stream.current != nil { streams.append(stream) }
            }
            let members = try db.rows(
                """
                SELECT s.id, s.first_day, s.reporter_id, m.shipment_id FROM segment s JOIN segment_member m ON m.segment_id = s.id
                WHERE s.first_day <= ? AND s.last_day >= ? ORDER BY s.id, m.member
                """, [.integer(lastDay), .integer(firstDay)]
            ) { row in (id: try row.required(0), firstDay: try row.required(1), reporter: try row.requiredText(2), shipment: try row.required(3)) }
            for member in members {
                if member.id != segment?.id {
                    try open()
                    segment = (member.id, member.firstDay, member.reporter)
                    shipments = []
                }
                shipments.append(member.shipment)
            }
            try open()
            var heap = StreamHeap(streams)
            var current: ClientActivity?
            var currentKey: SegmentCodec.Key?
            while let stream = heap.first {
                let span = stream.current!
                if span.day >= firstDay, span.day <= lastDay {
                    if currentKey != span.sortKey {
                        if let done = current { try body(done) }
                        currentKey = span.sortKey
                        guard let ip = span.sortKey.address else { throw CorruptSegment(segmentID: stream.segmentID, shipmentSHA256: nil, blockFirstKey: nil, cause: "a key that is no address") }
                        current = ClientActivity(ip: ip, rows: [])
                    }
                    stream.forEachCount(span) { entry in
                        current!.rows.append(
                            .init(reporter: stream.reporter, hour: Int64(span.day) * 24 + Int64(entry.hourOfDay), kind: entry.kind, reason: entry.reason, status: entry.status, count: entry.count))
                    }
                }
                try stream.advance(db)
                heap.replaceFirst(keeping: stream.current != nil)
            }
            if let done = current { try body(done) }
        }
    }
}
