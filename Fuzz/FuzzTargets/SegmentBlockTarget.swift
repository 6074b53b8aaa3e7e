import EnforcementEngine
import Foundation

/// The segment block decoder: any raw block gives records or `MalformedBlock`, and any
/// stored block inflates or fails cleanly; records decoded are written again into blocks
/// that decode to the same records.
enum SegmentBlockTarget {
    static let target = FuzzTarget(name: "segment-block", run: run, seeds: { _ in try seeds() })

    static func run(_ data: UnsafeRawBufferPointer) {
        _ = try? SegmentBlockFormat.rawBlock(stored: data)
        guard let records = try? SegmentBlockFormat.records(rawBlock: data), !records.isEmpty else { return }
        // Written again in the order read (one client's days stay in one block whatever
        // the order), the records must come back exactly.
        guard let stored = try? SegmentBlockFormat.storedBlocks(records) else { return }
        var back: [SegmentRecord] = []
        for block in stored {
            guard let raw = try? block.withUnsafeBytes({ try SegmentBlockFormat.rawBlock(stored: $0) }),
                let decoded = try? raw.withUnsafeBytes({ try SegmentBlockFormat.records(rawBlock: $0) })
            else { preconditionFailure("a block written from decoded records does not read back") }
            back += decoded
        }
        precondition(back == records, "records changed in a round trip through blocks")
    }

    static func seeds() throws -> [(name: String, bytes: [UInt8])] {
        let day: Int32 = 20_785
        let records = [
            SegmentRecord(
                key: [192, 0, 2, 1], day: day, first: Int64(day) * 86_400_000 + 3_600_000, last: Int64(day) * 86_400_000 + 7_200_500,
                counts: [.init(hourOfDay: 1, kind: 0, reason: 255, status: 0, count: 12), .init(hourOfDay: 2, kind: 3, reason: 1, status: 3, count: 7)],
                samples: [.init(kind: 3, reason: 1, line: 812, offset: 96_410)]),
            SegmentRecord(
                key: [0x20, 0x01, 0x0d, 0xb8, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25], day: day, first: Int64(day) * 86_400_000, last: Int64(day) * 86_400_000 + 1,
                counts: [.init(hourOfDay: 0, kind: 5, reason: 255, status: 1, count: 3)], samples: []),
        ]
        let stored = try SegmentBlockFormat.storedBlocks(records)
        let raw = try stored[0].withUnsafeBytes { try SegmentBlockFormat.rawBlock(stored: $0) }
        return [("raw", raw), ("stored", stored[0])]
    }
}
