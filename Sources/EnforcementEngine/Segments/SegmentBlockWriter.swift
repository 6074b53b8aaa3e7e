import Foundation

extension SegmentCodec {
    /// A client's records of one shipment do not fit one block (they must: a lookup reads
    /// one block per segment). Only a file with that client on very many days, each with
    /// very many distinct counts, gets there: it is quarantined.
    struct BlockTooLarge: Error, CustomStringConvertible {
        var firstKey: Key
        var bytes: Int
        var description: String {
            "the records of \(firstKey.address.map { "\($0)" } ?? "a client") and its neighbours take \(bytes) bytes, more than a segment block holds (\(BlockCompression.maxBlock))"
        }
    }

    /// A block as stored: its first key, the LEB128 raw size and zlib stream, and the filter
    /// of its keys.
    struct StoredBlock: Sendable {
        var firstKey: [UInt8]
        var data: [UInt8]
        var keyFilter: [UInt8]
    }

    /// Cuts records, given in segment order, into stored blocks (the layout of
    /// `SegmentCodec`); a client's days stay in one block, so a lookup by key reads exactly
    /// one block. Its buffers are reused from block to block. A writer with members writes
    /// format-3 blocks, each record with its member (a compacted segment); `blockSink`, when
    /// set, takes each block as it is made instead of `blocks` keeping it.
    struct BlockWriter {
        private(set) var blocks: [StoredBlock] = []
        private var sections: [[UInt8]]
        private let withMembers: Bool
        private let blockSink: ((StoredBlock) throws -> Void)?
        private let recordsPerBlock: Int
        /// The block's distinct keys, for its filter.
        private var keys: [Key] = []
        private var positions: [(line: UInt64, offset: UInt64)] = []
        private var raw: [UInt8] = []
        private var inBlock = 0
        private var firstKey = Key(high: 0, low: 0, length: 0)
        private var lastKey = Key(high: 0, low: 0, length: 0)
        private var previousV4: UInt32 = 0
        private let deflater = BlockCompression.Deflater()

        init(members: Bool = false, recordsPerBlock: Int = SegmentCodec.recordsPerBlock, blockSink: ((StoredBlock) throws -> Void)? = nil) {
            withMembers = members
            self.recordsPerBlock = recordsPerBlock
            self.blockSink = blockSink
            sections = [[UInt8]](repeating: [], count: members ? SegmentCodec.memberSectionCount : SegmentCodec.sectionCount)
        }

        mutating func add(_ record: SegmentRecord, member: Int = 0) throws {
            guard let key = Key(bytes: record.key) else { throw MalformedBlock() }
            try add(
                key: key, day: record.day, first: record.first, last: record.last, counts: record.counts.lazy.map { ($0.key, $0.count) },
                samples: record.samples, member: member)
        }

        /// Appends one record; `counts` are (packed key, count) in key order.
        mutating func add<Counts: Collection, Samples: Collection>(
            key: Key, day: Int32, first: Int64, last: Int64, counts: Counts, samples: Samples, member: Int = 0
        ) throws where Counts.Element == (UInt32, Int), Samples.Element == SegmentRecord.Sample {
            precondition(withMembers || member == 0, "a segment of one shipment has member 0 only")
            if inBlock >= recordsPerBlock, key != lastKey { try flush() }
            if inBlock == 0 {
                firstKey = key
                previousV4 = 0
            }
            if key.length == 4 {
                let value = UInt32(truncatingIfNeeded: key.high >> 32)
                sections[0].append(0)
                LEB128.append(UInt64(value &- previousV4), to: &sections[0])
                previousV4 = value
            } else {
                sections[0].append(1)
                for word in [key.high, key.low] {
                    for shift in stride(from: 56, through: 0, by: -8) { sections[0].append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
                }
            }
            let dayStart = Int64(day) * 86_400_000
            LEB128.append(UInt64(UInt32(bitPattern: day)), to: &sections[1])
            SegmentCodec.appendTime(max(0, first - dayStart), to: &sections[2])
            SegmentCodec.appendTime(max(0, last - first), to: &sections[3])
            LEB128.append(UInt64(counts.count), to: &sections[4])
            for (packed, count) in counts {
                sections[5].append(UInt8(packed >> 24))
                sections[5].append(UInt8((packed >> 16) & 0xFF))
                sections[5].append(UInt8((packed >> 8) & 0xFF))
                sections[5].append(UInt8(packed & 0xFF))
                LEB128.append(UInt64(count), to: &sections[5])
            }
            LEB128.append(UInt64(samples.count), to: &sections[6])
            for sample in samples {
                sections[6].append(sample.kind)
                sections[6].append(sample.reason)
                positions.append((UInt64(sample.line), sample.offset))
            }
            if withMembers { LEB128.append(UInt64(member), to: &sections[8]) }
            if keys.last != key { keys.append(key) }
            lastKey = key
            inBlock += 1
        }

        mutating func finish() throws -> [StoredBlock] {
            if inBlock > 0 { try flush() }
            return blocks
        }

        /// The block's rate: its mean bytes per line × 256 (0 without samples).
        private func rate() -> UInt64 {
            var lines = 0.0
            var offsets = 0.0
            for p in positions {
                lines += Double(p.line)
                offsets += Double(p.offset)
            }
            guard lines > 0 else { return 0 }
            return UInt64(min(offsets / lines * 256, Double(1 << 40)).rounded())
        }

        private mutating func flush() throws {
            let rate = rate()
            sections[7].removeAll(keepingCapacity: true)
            for p in positions {
                LEB128.append(p.line, to: &sections[7])
                let difference = p.offset &- SegmentCodec.predictedOffset(line: p.line, rate: rate)
                LEB128.append(SegmentCodec.zigzag(Int64(bitPattern: difference)), to: &sections[7])
            }
            raw.removeAll(keepingCapacity: true)
            raw.append(withMembers ? SegmentCodec.memberFormat : SegmentCodec.format)
            LEB128.append(UInt64(inBlock), to: &raw)
            LEB128.append(rate, to: &raw)
            for section in sections { LEB128.append(UInt64(section.count), to: &raw) }
            for section in sections { raw += section }
            guard raw.count <= BlockCompression.maxBlock else { throw BlockTooLarge(firstKey: firstKey, bytes: raw.count) }
            var stored: [UInt8] = []
            LEB128.append(UInt64(raw.count), to: &stored)
            try deflater.compress(raw, appendingTo: &stored)
            let block = StoredBlock(firstKey: firstKey.bytes, data: stored, keyFilter: KeyFilter.make(keys))
            keys.removeAll(keepingCapacity: true)
            if let blockSink { try blockSink(block) } else { blocks.append(block) }
            for s in sections.indices { sections[s].removeAll(keepingCapacity: true) }
            positions.removeAll(keepingCapacity: true)
            inBlock = 0
        }
    }
}
