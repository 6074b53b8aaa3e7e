import Foundation
import LogParsers

/// The byte layout of segment blocks. A shipment's records, in segment order, are cut into
/// blocks of `recordsPerBlock`; each block is stored zlib-compressed as one row with its
/// first key, so a client is found by one index seek and one small inflate.
///
/// A block's raw bytes are records, each: key length (4 or 16) and key; LEB128 day; first
/// seen as milliseconds into the day and last seen as milliseconds after first; the count
/// of entries, each four bytes (hour, kind, reason, status) and a LEB128 count; the count of
/// samples, each kind, reason, LEB128 line and offset. The stored block is the LEB128 raw
/// size followed by the zlib-format stream.
enum SegmentCodec {
    static let recordsPerBlock = 1024

    struct MalformedBlock: Error, CustomStringConvertible {
        var description: String { "a segment block is malformed" }
    }

    /// Cuts records, given in segment order, into stored blocks; a client's days stay in
    /// one block, so a lookup by key reads exactly one block.
    struct BlockWriter {
        private(set) var blocks: [(firstKey: [UInt8], data: [UInt8])] = []
        private var raw: [UInt8] = []
        private var inBlock = 0
        private var firstKey: [UInt8] = []
        private var lastKey: [UInt8] = []
        private var previousV4: UInt32 = 0
        private let deflater = BlockCompression.Deflater()

        mutating func add(_ record: SegmentRecord) throws {
            if inBlock >= SegmentCodec.recordsPerBlock, record.key != lastKey { try flush() }
            if inBlock == 0 {
                firstKey = record.key
                previousV4 = 0
            }
            SegmentCodec.append(record, previousV4: &previousV4, to: &raw)
            lastKey = record.key
            inBlock += 1
        }

        mutating func finish() throws -> [(firstKey: [UInt8], data: [UInt8])] {
            if inBlock > 0 { try flush() }
            return blocks
        }

        private mutating func flush() throws {
            var stored: [UInt8] = []
            LEB128.append(UInt64(raw.count), to: &stored)
            try deflater.compress(raw, appendingTo: &stored)
            blocks.append((firstKey, stored))
            raw.removeAll(keepingCapacity: true)
            inBlock = 0
        }
    }

    /// Appends one record. IPv4 keys are written as the difference from the block's
    /// previous IPv4 key (records are in key order), IPv6 keys whole.
    static func append(_ r: SegmentRecord, previousV4: inout UInt32, to out: inout [UInt8]) {
        if r.key.count == 4 {
            let value = UInt32(r.key[0]) << 24 | UInt32(r.key[1]) << 16 | UInt32(r.key[2]) << 8 | UInt32(r.key[3])
            out.append(0)
            LEB128.append(UInt64(value &- previousV4), to: &out)
            previousV4 = value
        } else {
            out.append(1)
            out += r.key
        }
        let dayStart = Int64(r.day) * 86_400_000
        LEB128.append(UInt64(UInt32(bitPattern: r.day)), to: &out)
        appendTime(max(0, r.first - dayStart), to: &out)
        appendTime(max(0, r.last - r.first), to: &out)
        LEB128.append(UInt64(r.counts.count), to: &out)
        for e in r.counts {
            out.append(e.hourOfDay)
            out.append(e.kind)
            out.append(e.reason)
            out.append(e.status)
            LEB128.append(UInt64(e.count), to: &out)
        }
        LEB128.append(UInt64(r.samples.count), to: &out)
        for s in r.samples {
            out.append(s.kind)
            out.append(s.reason)
            LEB128.append(UInt64(s.line), to: &out)
            LEB128.append(s.offset, to: &out)
        }
    }

    /// Milliseconds as whole seconds when they are (most logs), tagged in the low bit.
    @inline(__always)
    static func appendTime(_ millis: Int64, to out: inout [UInt8]) {
        let value = UInt64(millis)
        LEB128.append(value % 1000 == 0 ? (value / 1000) << 1 : value << 1 | 1, to: &out)
    }

    @inline(__always)
    static func readTime(_ raw: UnsafeRawBufferPointer, _ i: inout Int) -> Int64? {
        guard let value = LEB128.read(raw, &i, maxShift: 49) else { return nil }
        return value & 1 == 0 ? Int64(value >> 1) * 1000 : Int64(value >> 1)
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
        /// `count` entries of four bytes and a LEB128 count each.
        var counts: UnsafeRawBufferPointer
        var countEntries: Int
        var samples: UnsafeRawBufferPointer
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

    /// Calls `body` for each record of a raw block, in order.
    static func forEachRecord(_ raw: UnsafeRawBufferPointer, _ body: (RecordView) throws -> Void) throws {
        var i = 0
        var previousV4: UInt32 = 0
        while i < raw.count {
            let tag = raw[i]
            i += 1
            let key: Key
            if tag == 0 {
                guard let delta = LEB128.read(raw, &i, maxShift: 28), delta <= UInt64(UInt32.max) else { throw MalformedBlock() }
                previousV4 = previousV4 &+ UInt32(delta)
                key = Key(high: UInt64(previousV4) << 32, low: 0, length: 4)
            } else if tag == 1, i + 16 <= raw.count {
                var high: UInt64 = 0
                var low: UInt64 = 0
                for k in 0..<8 { high = high << 8 | UInt64(raw[i + k]) }
                for k in 8..<16 { low = low << 8 | UInt64(raw[i + k]) }
                key = Key(high: high, low: low, length: 16)
                i += 16
            } else {
                throw MalformedBlock()
            }
            guard let day = LEB128.read(raw, &i, maxShift: 28), let first = readTime(raw, &i), let span = readTime(raw, &i),
                let countEntries = LEB128.read(raw, &i, maxShift: 21)
            else { throw MalformedBlock() }
            let countsStart = i
            for _ in 0..<countEntries {
                i += 4
                guard i <= raw.count, LEB128.read(raw, &i, maxShift: 62) != nil else { throw MalformedBlock() }
            }
            let counts = UnsafeRawBufferPointer(rebasing: raw[countsStart..<i])
            guard let sampleEntries = LEB128.read(raw, &i, maxShift: 21) else { throw MalformedBlock() }
            let samplesStart = i
            for _ in 0..<sampleEntries {
                i += 2
                guard i <= raw.count, LEB128.read(raw, &i, maxShift: 62) != nil, LEB128.read(raw, &i, maxShift: 63) != nil else { throw MalformedBlock() }
            }
            let dayValue = Int32(bitPattern: UInt32(truncatingIfNeeded: day))
            let firstSeen = Int64(dayValue) * 86_400_000 + Int64(first)
            try body(
                RecordView(
                    key: key, day: dayValue, first: firstSeen, last: firstSeen + Int64(span), counts: counts, countEntries: Int(countEntries),
                    samples: UnsafeRawBufferPointer(rebasing: raw[samplesStart..<i])))
        }
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
        let bytes = view.samples
        while i < bytes.count {
            let kind = bytes[i], reason = bytes[i + 1]
            i += 2
            let line = LEB128.read(bytes, &i, maxShift: 62) ?? 0
            let offset = LEB128.read(bytes, &i, maxShift: 63) ?? 0
            samples.append(.init(kind: kind, reason: reason, line: Int(line), offset: offset))
        }
        return SegmentRecord(key: view.key.bytes, day: view.day, first: view.first, last: view.last, counts: counts, samples: samples)
    }
}
