import Foundation
import RegistryClient

/// The shipments of segments, by member number (`segment_member`), read once per segment
/// within one database read and kept for it.
struct SegmentMembers {
    struct Shipment: Equatable {
        var id: Int64
        var sha256: String
    }

    private var known: [Int64: [Shipment]] = [:]

    /// The shipment of `member` in segment `segment`; throws `CorruptSegment` when the
    /// segment has no such member.
    mutating func shipment(segment: Int64, member: Int, _ db: any SQLSession) throws -> Shipment {
        if known[segment] == nil {
            var list: [Shipment] = []
            var complete = true
            try db.forEachRow(
                "SELECT m.member, m.shipment_id, sh.sha256 FROM segment_member m JOIN shipment sh ON sh.id = m.shipment_id WHERE m.segment_id = ? ORDER BY m.member",
                [.integer(segment)]
            ) { row in
                guard complete, try row.integer(0) == Int64(list.count) else {
                    complete = false
                    return
                }
                list.append(Shipment(id: try row.required(1), sha256: try row.requiredText(2)))
            }
            known[segment] = list
        }
        let list = known[segment]!
        guard member >= 0, member < list.count else {
            throw CorruptSegment(segmentID: segment, shipmentSHA256: nil, blockFirstKey: nil, cause: "a record of member \(member), which the segment does not list")
        }
        return list[member]
    }
}
