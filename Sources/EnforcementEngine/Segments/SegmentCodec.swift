import Foundation
import LogParsers
import Primitives

/// The byte layout of segment blocks. A shipment's records, in segment order, are cut into
/// blocks of about `recordsPerBlock` (`BlockWriter`); each block is stored compressed as one
/// row with its first key, so a client is found by one index seek and one small inflate.
///
/// A block's raw bytes are column-wise (like values side by side compress far better):
/// the format byte 2; LEB128 record count, offset rate and the byte length of each of the
/// eight sections; then the sections, each holding one field of every record in order:
/// 0 keys (tag 0 and the LEB128 difference from the block's previous IPv4 key, or tag 1 and
/// 16 bytes); 1 days (LEB128); 2 first seen, as time into the day; 3 last seen, as time
/// after first (`appendTime`); 4 the number of count entries; 5 the entries, four bytes
/// (hour, kind, reason, status) and a LEB128 count each; 6 the number of samples and each
/// sample's kind and reason; 7 each sample's LEB128 line and the zigzag LEB128 difference
/// between its byte offset and `line × rate / 256` (a line's offset is close to its number
/// times the mean line length). The stored block is the LEB128 raw size followed by the
/// zlib-format stream.
///
/// A compacted segment holds the records of several shipments: its blocks have the format
/// byte 3 and a ninth section, 8, each record's member (LEB128: the shipment's number in the
/// segment, `segment_member`). A format-2 block's records are all of member 0.
enum SegmentCodec {
    static let recordsPerBlock = 1024
    /// A compacted segment's blocks are smaller: its clients have a record per shipment, so a
    /// lookup would otherwise inflate and walk a larger block for each.
    static let compactedRecordsPerBlock = 256
    static let format: UInt8 = 2
    static let sectionCount = 8
    static let memberFormat: UInt8 = 3
    static let memberSectionCount = 9

    struct MalformedBlock: Error, CustomStringConvertible {
        var description: String { "a segment block is malformed" }
    }

    /// The raw bytes of a stored block.
    static func inflate(_ stored: UnsafeRawBufferPointer) throws -> [UInt8] {
        var i = 0
        guard let size = LEB128.read(stored, &i, maxShift: 28) else { throw MalformedBlock() }
        return try BlockCompression.decompress(UnsafeRawBufferPointer(rebasing: stored[i...]), size: Int(size))
    }

    /// A record read in place from a raw block: the packed counts and samples are views.
    struct RecordView {
        var key: Key
        var day: Int32
        var first: Int64
        var last: Int64
        /// `countEntries` entries of four bytes and a LEB128 count each.
        var counts: UnsafeRawBufferPointer
        var countEntries: Int
        /// Kind and reason of each sample, two bytes each.
        var sampleKinds: UnsafeRawBufferPointer
        /// LEB128 line and zigzag offset difference of each sample.
        var samplePositions: UnsafeRawBufferPointer
        var rate: UInt64
        /// The record's shipment, numbered in its segment (0 in a segment of one shipment).
        var member: Int
    }

    /// A client's key as numbers, ordered as SQLite orders the key BLOBs (bytes, then
    /// length): an IPv4 address is its four bytes followed by zeros, length 4.
    struct Key: Comparable, Hashable {
        var high: UInt64
        var low: UInt64
        var length: UInt8

        static func < (a: Key, b: Key) -> Bool { (a.high, a.low, a.length) < (b.high, b.low, b.length) }

        init(high: UInt64, low: UInt64, length: UInt8) {
            self.high = high
            self.low = low
            self.length = length
        }

        /// The key of an address (`IPKey.bytes` as numbers).
        init(_ ip: IPAddress) {
            if ip.family == .v4 {
                self.init(high: UInt64(ip.v4Value) << 32, low: 0, length: 4)
            } else {
                self.init(high: ip.high, low: ip.low, length: 16)
            }
        }

        init?(bytes: [UInt8]) {
            guard bytes.count == 4 || bytes.count == 16 else { return nil }
            var high: UInt64 = 0
            var low: UInt64 = 0
            for i in 0..<16 {
                let byte = UInt64(i < bytes.count ? bytes[i] : 0)
                if i < 8 { high = high << 8 | byte } else { low = low << 8 | byte }
            }
            self.init(high: high, low: low, length: UInt8(bytes.count))
        }

        var bytes: [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(Int(length))
            for i in 0..<Int(length) {
                let word: UInt64 = i < 8 ? high : low
                let shift = UInt64(56 - 8 * (i % 8))
                out.append(UInt8(truncatingIfNeeded: word >> shift))
            }
            return out
        }

        var address: IPAddress? { IPKey.address(bytes: bytes) }
    }

    /// The offset predicted for a line from the block's rate (bytes per line × 256).
    @inline(__always)
    static func predictedOffset(line: UInt64, rate: UInt64) -> UInt64 {
        UInt64(truncatingIfNeeded: (UInt128(line) &* UInt128(rate)) >> 8)
    }

    @inline(__always)
    static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }

    @inline(__always)
    static func unzigzag(_ value: UInt64) -> Int64 { Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }

    /// Calls `body` for each record of a raw block, in order; throws when any section is
    /// short, long or holds a value out of range. With `only`, a lookup: the keys are read
    /// first, and only that key's records (next to each other) are decoded and given; the
    /// records after them are not read, and a block without the key ends there.
    static func forEachRecord(_ raw: UnsafeRawBufferPointer, only wanted: Key? = nil, _ body: (RecordView) throws -> Void) throws {
        guard raw.count > 0, raw[0] == format || raw[0] == memberFormat else { throw MalformedBlock() }
        let sections = raw[0] == format ? sectionCount : memberSectionCount
        var i = 1
        guard let records = LEB128.read(raw, &i, maxShift: 28), let rate = LEB128.read(raw, &i, maxShift: 49) else { throw MalformedBlock() }
        var bounds: [Range<Int>] = []
        bounds.reserveCapacity(sections)
        var lengths: [Int] = []
        for _ in 0..<sections {
            guard let length = LEB128.read(raw, &i, maxShift: 28) else { throw MalformedBlock() }
            lengths.append(Int(length))
        }
        for length in lengths {
            guard length <= raw.count - i else { throw MalformedBlock() }
            bounds.append(i..<i + length)
            i += length
        }
        guard i == raw.count else { throw MalformedBlock() }
        let keys = UnsafeRawBufferPointer(rebasing: raw[bounds[0]])
        let days = UnsafeRawBufferPointer(rebasing: raw[bounds[1]])
        let firsts = UnsafeRawBufferPointer(rebasing: raw[bounds[2]])
        let spans = UnsafeRawBufferPointer(rebasing: raw[bounds[3]])
        let countNumbers = UnsafeRawBufferPointer(rebasing: raw[bounds[4]])
        let counts = UnsafeRawBufferPointer(rebasing: raw[bounds[5]])
        let samples = UnsafeRawBufferPointer(rebasing: raw[bounds[6]])
        let positions = UnsafeRawBufferPointer(rebasing: raw[bounds[7]])
        let members = sections > sectionCount ? UnsafeRawBufferPointer(rebasing: raw[bounds[8]]) : UnsafeRawBufferPointer(start: nil, count: 0)
        var k = 0, d = 0, f = 0, s = 0, n = 0, c = 0, m = 0, p = 0, o = 0
        var previousV4: UInt32 = 0
        var wantedRecords = 0..<Int(records)
        if let wanted {
            guard let found = try Self.recordRange(of: wanted, keys: keys, records: Int(records)) else { return }
            wantedRecords = found
        }
        for index in 0..<Int(records) {
            if index >= wantedRecords.upperBound { return }
            let key = try readKey(keys, &k, &previousV4)
            guard let day = LEB128.read(days, &d, maxShift: 28), let first = readTime(firsts, &f), let span = readTime(spans, &s),
                let countEntries = LEB128.read(countNumbers, &n, maxShift: 21)
            else { throw MalformedBlock() }
            let countsStart = c
            for _ in 0..<countEntries {
                c += 4
                guard c <= counts.count, LEB128.read(counts, &c, maxShift: 62) != nil else { throw MalformedBlock() }
            }
            guard let sampleEntries = LEB128.read(samples, &m, maxShift: 21), Int(sampleEntries) * 2 <= samples.count - m else { throw MalformedBlock() }
            let kindsStart = m
            m += Int(sampleEntries) * 2
            let positionsStart = p
            for _ in 0..<sampleEntries {
                guard LEB128.read(positions, &p, maxShift: 62) != nil, LEB128.read(positions, &p, maxShift: 63) != nil else { throw MalformedBlock() }
            }
            var member: UInt64 = 0
            if sections > sectionCount {
                guard let value = LEB128.read(members, &o, maxShift: 28) else { throw MalformedBlock() }
                member = value
            }
            guard index >= wantedRecords.lowerBound else { continue }
            let dayValue = Int32(bitPattern: UInt32(truncatingIfNeeded: day))
            let firstSeen = Int64(dayValue) * 86_400_000 + Int64(first)
            try body(
                RecordView(
                    key: key, day: dayValue, first: firstSeen, last: firstSeen + Int64(span),
                    counts: UnsafeRawBufferPointer(rebasing: counts[countsStart..<c]), countEntries: Int(countEntries),
                    sampleKinds: UnsafeRawBufferPointer(rebasing: samples[kindsStart..<m]),
                    samplePositions: UnsafeRawBufferPointer(rebasing: positions[positionsStart..<p]), rate: rate, member: Int(member)))
        }
        guard k == keys.count, d == days.count, f == firsts.count, s == spans.count, n == countNumbers.count, c == counts.count,
            m == samples.count, p == positions.count, o == members.count
        else { throw MalformedBlock() }
    }

    /// The next key of a key section: tag 0 and the LEB128 difference from the previous
    /// IPv4 key, or tag 1 and 16 bytes.
    @inline(__always)
    static func readKey(_ keys: UnsafeRawBufferPointer, _ k: inout Int, _ previousV4: inout UInt32) throws -> Key {
        guard k < keys.count else { throw MalformedBlock() }
        let tag = keys[k]
        k += 1
        if tag == 0 {
            guard let delta = LEB128.read(keys, &k, maxShift: 28), delta <= UInt64(UInt32.max) else { throw MalformedBlock() }
            previousV4 = previousV4 &+ UInt32(delta)
            return Key(high: UInt64(previousV4) << 32, low: 0, length: 4)
        }
        guard tag == 1, k + 16 <= keys.count else { throw MalformedBlock() }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for b in 0..<8 { high = high << 8 | UInt64(keys[k + b]) }
        for b in 8..<16 { low = low << 8 | UInt64(keys[k + b]) }
        k += 16
        return Key(high: high, low: low, length: 16)
    }

    /// The positions of `wanted`'s records in a block's key section (a key's records are
    /// next to each other), nil when it has none.
    static func recordRange(of wanted: Key, keys: UnsafeRawBufferPointer, records: Int) throws -> Range<Int>? {
        var k = 0
        var previousV4: UInt32 = 0
        var start: Int?
        for index in 0..<records {
            let key = try readKey(keys, &k, &previousV4)
            if key == wanted {
                if start == nil { start = index }
            } else if let start {
                return start..<index
            } else if wanted < key {
                return nil
            }
        }
        return start.map { $0..<records }
    }

    /// Calls `body` with each count entry of a record.
    @inline(__always)
    static func forEachCount(_ view: RecordView, _ body: (DayCounts.Entry) throws -> Void) rethrows {
        try forEachCount(view.counts, body)
    }

    /// Calls `body` with each entry of packed counts (validated by `forEachRecord`).
    @inline(__always)
    static func forEachCount(_ bytes: UnsafeRawBufferPointer, _ body: (DayCounts.Entry) throws -> Void) rethrows {
        var i = 0
        while i + 4 <= bytes.count {
            let hour = bytes[i], kind = bytes[i + 1], reason = bytes[i + 2], status = bytes[i + 3]
            i += 4
            let count = LEB128.read(bytes, &i, maxShift: 62) ?? 0
            try body(DayCounts.Entry(hourOfDay: hour, kind: kind, reason: reason, status: status, count: Int(count)))
        }
    }

    /// The record as a value.
    static func record(_ view: RecordView) -> SegmentRecord {
        var counts: [DayCounts.Entry] = []
        counts.reserveCapacity(view.countEntries)
        forEachCount(view) { counts.append($0) }
        var samples: [SegmentRecord.Sample] = []
        var i = 0
        var p = 0
        while i + 1 < view.sampleKinds.count {
            let line = LEB128.read(view.samplePositions, &p, maxShift: 62) ?? 0
            let difference = LEB128.read(view.samplePositions, &p, maxShift: 63) ?? 0
            let offset = predictedOffset(line: line, rate: view.rate) &+ UInt64(bitPattern: unzigzag(difference))
            samples.append(.init(kind: view.sampleKinds[i], reason: view.sampleKinds[i + 1], line: Int(line), offset: offset))
            i += 2
        }
        return SegmentRecord(key: view.key.bytes, day: view.day, first: view.first, last: view.last, counts: counts, samples: samples)
    }

    /// Milliseconds as whole seconds when they are (most logs), tagged in the low bit.
    @inline(__always)
    static func appendTime(_ millis: Int64, to out: inout [UInt8]) {
        let value = UInt64(millis)
        LEB128.append(value % 1000 == 0 ? (value / 1000) << 1 : value << 1 | 1, to: &out)
    }

    @inline(__always)
    static func readTime(_ raw: UnsafeRawBufferPointer, _ i: inout Int) -> Int64? {
        guard let value = LEB128.read(raw, &i, maxShift: 42) else { return nil }
        return value & 1 == 0 ? Int64(value >> 1) * 1000 : Int64(value >> 1)
    }
}
