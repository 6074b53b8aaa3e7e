import Foundation
import GRDB
import LogParsers
import Primitives

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

    /// Every record of `ip`, by segment (shipment order).
    public func records(of ip: IPAddress) throws -> [ClientRecord] {
        let key = IPKey.bytes(ip)
        let wanted = SegmentCodec.Key(ip)
        return try database.read { db in
            var result: [ClientRecord] = []
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT s.reporter_id, s.shipment_id, sh.sha256, b.data, s.id, b.first_key
                    FROM segment s JOIN shipment sh ON sh.id = s.shipment_id
                    JOIN segment_block b ON b.segment_id = s.id
                        AND b.first_key = (SELECT first_key FROM segment_block WHERE segment_id = s.id AND first_key <= ?1 ORDER BY first_key DESC LIMIT 1)
                    ORDER BY s.shipment_id
                    """, arguments: [key])
            while let row = try rows.next() {
                let reporter: String = row[0]
                let shipment: Int64 = row[1]
                let sha: String = row[2]
                try CorruptSegment.reading(segment: row[4], shipment: sha, firstKey: Array(row[5] as Data)) {
                    let raw: [UInt8] = try row.withUnsafeData(atIndex: 3) { data in try (data ?? Data()).withUnsafeBytes { try SegmentCodec.inflate($0) } }
                    try raw.withUnsafeBytes { bytes in
                        try SegmentCodec.forEachRecord(bytes) { view in
                            guard view.key == wanted else { return }
                            result.append(ClientRecord(reporter: reporter, shipmentID: shipment, shipmentSHA256: sha, record: SegmentCodec.record(view)))
                        }
                    }
                }
            }
            return result
        }
    }

    /// Every stored record, segment by segment (shipment order), block by block.
    public func forEachRecord(_ body: (ClientRecord) throws -> Void) throws {
        try database.read { db in
            let segments = try Row.fetchAll(
                db, sql: "SELECT s.id, s.reporter_id, s.shipment_id, sh.sha256 FROM segment s JOIN shipment sh ON sh.id = s.shipment_id ORDER BY s.shipment_id")
            for segment in segments {
                let blocks = try Row.fetchCursor(db, sql: "SELECT data, first_key FROM segment_block WHERE segment_id = ? ORDER BY first_key", arguments: [segment[0] as Int64])
                while let block = try blocks.next() {
                    var records: [ClientRecord] = []
                    try CorruptSegment.reading(segment: segment[0], shipment: segment[3], firstKey: Array(block[1] as Data)) {
                        let raw = try (block[0] as Data).withUnsafeBytes { try SegmentCodec.inflate($0) }
                        try raw.withUnsafeBytes { bytes in
                            try SegmentCodec.forEachRecord(bytes) { view in
                                records.append(ClientRecord(reporter: segment[1], shipmentID: segment[2], shipmentSHA256: segment[3], record: SegmentCodec.record(view)))
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
        try database.read { db in
            let segments = try Row.fetchAll(
                db, sql: "SELECT id, reporter_id FROM segment WHERE first_day <= ? AND last_day >= ? ORDER BY id", arguments: [lastDay, firstDay])
            var streams: [SegmentStream] = []
            for row in segments {
                let stream = SegmentStream(segmentID: row[0], reporter: row[1])
                try stream.advance(db)
                if stream.current != nil { streams.append(stream) }
            }
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
