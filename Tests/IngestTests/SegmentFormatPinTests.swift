@testable import EnforcementEngine
import Foundation
import Testing

/// Segment blocks are stored in databases: their format 2 is pinned here byte for byte. A
/// change of the encoder that alters these bytes breaks every stored database unless it
/// comes with a new format number and a migration, so it must fail this test first.
struct SegmentFormatPinTests {
    static let day: Int32 = 20_785  // 2026-11-28
    static let dayStart = Int64(day) * 86_400_000

    /// IPv4 neighbours, a client on two days, millisecond and whole-second times, an IPv6
    /// client, counts of several statuses, samples with offsets near and far from the rate.
    static let records: [SegmentRecord] = [
        SegmentRecord(
            key: [192, 0, 2, 1], day: day, first: dayStart + 3_600_000, last: dayStart + 7_200_500,
            counts: [.init(hourOfDay: 1, kind: 0, reason: 255, status: 0, count: 12), .init(hourOfDay: 2, kind: 3, reason: 1, status: 0, count: 7)],
            samples: [.init(kind: 3, reason: 1, line: 812, offset: 96_410), .init(kind: 3, reason: 1, line: 900, offset: 107_000)]),
        SegmentRecord(
            key: [192, 0, 2, 1], day: day + 1, first: dayStart + 86_400_000, last: dayStart + 86_400_000 + 59_000,
            counts: [.init(hourOfDay: 0, kind: 5, reason: 255, status: 1, count: 300)], samples: [.init(kind: 5, reason: 255, line: 1, offset: 0)]),
        SegmentRecord(
            key: [192, 0, 2, 200], day: day, first: dayStart, last: dayStart,
            counts: [.init(hourOfDay: 0, kind: 0, reason: 255, status: 3, count: 1)], samples: []),
        SegmentRecord(
            key: [0x20, 0x01, 0x0d, 0xb8, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25], day: day, first: dayStart + 1, last: dayStart + 86_399_999,
            counts: [.init(hourOfDay: 23, kind: 3, reason: 0, status: 2, count: 1_000_000)], samples: [.init(kind: 3, reason: 0, line: 5_000_000, offset: 1 << 33)]),
    ]

    /// The raw (uncompressed) block these records make, written once with format 2.
    static let pinnedRaw =
        "0204f0ea1a1c0c050a041c0c1700818480800c000000c7010120010db8001000000000000000000025b1a201b2a201b1a201b1a201a038000003e9c1b7037600fdefb252020101010100ff000c02030100070005ff01ac020000ff030117030002c0843d02030103010105ff00010300ac06c9bb9e018407c9cfaf0101e91ac096b102a8abcf02"

    @Test func encodesFormatTwoExactlyAsPinned() throws {
        let stored = try SegmentBlockFormat.storedBlocks(Self.records)
        #expect(stored.count == 1)
        let raw = try stored[0].withUnsafeBytes { try SegmentBlockFormat.rawBlock(stored: $0) }
        #expect(raw.first == 2, "format 2")
        #expect(hex(raw) == Self.pinnedRaw, "the format-2 encoding changed: a new format needs a new number and a migration")
    }

    @Test func decodesThePinnedBlock() throws {
        let raw = try #require(bytes(hex: Self.pinnedRaw))
        #expect(try raw.withUnsafeBytes { try SegmentBlockFormat.records(rawBlock: $0) } == Self.records)
    }

    /// A stored block as zlib wrote it (LEB128 raw size, then a zlib stream): compressors
    /// may differ in their output, every one must be read.
    @Test func readsAStoredBlockWrittenByAnotherDeflater() throws {
        let raw = try #require(bytes(hex: Self.pinnedRaw))
        let stored = try #require(bytes(hex: Self.pinnedStoredByZlib))
        #expect(try stored.withUnsafeBytes { try SegmentBlockFormat.rawBlock(stored: $0) } == raw)
    }

    /// `raw` stored by Python's zlib.compress(level 9), after its LEB128 length.
    static let pinnedStoredByZlib =
        "870178da6362f9f04a4a8687958b4586479ca1b1a5a181878181e13823a30223ef0e0601061850ddb88871d322c68d60b4c0828181f9e5c1edcc650c7fdf6f0a6262040286ff0c3c4ccc8c0cec0cacff19d7303130fc6766146766603ad0620b1466666464fdcfc0c8ccb086ede4ee798c2dec27cfaf67647c297560da46a615abcf3301006fba23bd"

    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    func bytes(hex: String) -> [UInt8]? {
        guard hex.count % 2 == 0, !hex.isEmpty else { return nil }
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            out.append(byte)
            index = next
        }
        return out
    }
}
