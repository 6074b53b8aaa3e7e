import Foundation
import GRDB
import SystemZlib

/// Migration `engine-v4-column-blocks`, shipped: rewrites segment blocks of the first,
/// row-by-row layout in the column-wise layout (format 2), record for record. Blocks are
/// never updated: the old row goes, the new ones come; keys and contents stay the same.
///
/// Self-contained on purpose: a shipped migration must do tomorrow what it did when it
/// shipped, so it carries its own frozen copy of both layouts (and compresses with zlib
/// itself) instead of calling `SegmentCodec`, whose future formats must not change it.
enum ColumnBlocksMigration {
    static let identifier = "engine-v4-column-blocks"

    static func migrate(_ db: Database) throws {
        let keys = try Row.fetchAll(db, sql: "SELECT segment_id, first_key FROM segment_block ORDER BY segment_id, first_key")
        for key in keys {
            let segment: Int64 = key[0]
            let firstKey: Data = key[1]
            guard let stored = try Data.fetchOne(db, sql: "SELECT data FROM segment_block WHERE segment_id = ? AND first_key = ?", arguments: [segment, firstKey])
            else { continue }
            let raw = try stored.withUnsafeBytes { try inflate($0) }
            guard raw.first != 2 else { continue }
            let records = try raw.withUnsafeBytes { try rowLayoutRecords($0) }
            try db.execute(sql: "DELETE FROM segment_block WHERE segment_id = ? AND first_key = ?", arguments: [segment, firstKey])
            for block in try columnBlocks(records) {
                try db.execute(sql: "INSERT INTO segment_block (segment_id, first_key, data) VALUES (?, ?, ?)", arguments: [segment, Data(block.firstKey), Data(block.data)])
            }
        }
    }

    struct Malformed: Error, CustomStringConvertible {
        var description: String { "a segment block of the row layout is malformed" }
    }

    struct Record {
        var key: [UInt8]
        var day: Int32
        var first: Int64
        var last: Int64
        /// (hour of day, kind, reason, status, count).
        var counts: [(UInt8, UInt8, UInt8, UInt8, UInt64)]
        /// (kind, reason, line, offset).
        var samples: [(UInt8, UInt8, UInt64, UInt64)]
    }

    // MARK: Numbers and compression, as format 2 shipped them

    static func readNumber(_ bytes: UnsafeRawBufferPointer, _ i: inout Int, maxShift: UInt64) throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard i < bytes.count, shift <= maxShift else { throw Malformed() }
            let byte = bytes[i]
            value |= UInt64(byte & 0x7F) << shift
            i += 1
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    static func appendNumber(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    /// Milliseconds, tagged in the low bit: whole seconds when they are.
    static func readTime(_ bytes: UnsafeRawBufferPointer, _ i: inout Int) throws -> Int64 {
        let value = try readNumber(bytes, &i, maxShift: 42)
        return value & 1 == 0 ? Int64(value >> 1) * 1000 : Int64(value >> 1)
    }

    static func appendTime(_ millis: Int64, to out: inout [UInt8]) {
        let value = UInt64(millis)
        appendNumber(value % 1000 == 0 ? (value / 1000) << 1 : value << 1 | 1, to: &out)
    }

    /// A stored block: LEB128 raw size, then the zlib stream.
    static func inflate(_ stored: UnsafeRawBufferPointer) throws -> [UInt8] {
        var i = 0
        let size = Int(try readNumber(stored, &i, maxShift: 28))
        guard size <= 16 << 20 else { throw Malformed() }
        var length = uLong(size)
        var out = [UInt8](repeating: 0, count: max(size, 1))
        let status = out.withUnsafeMutableBufferPointer { o in
            uncompress(o.baseAddress, &length, stored.baseAddress.map { ($0 + i).assumingMemoryBound(to: Bytef.self) }, uLong(stored.count - i))
        }
        guard status == Z_OK, Int(length) == size else { throw Malformed() }
        return Array(out.prefix(size))
    }

    static func deflate(_ raw: [UInt8]) throws -> [UInt8] {
        var stored: [UInt8] = []
        appendNumber(UInt64(raw.count), to: &stored)
        var length = compressBound(uLong(raw.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let status = out.withUnsafeMutableBufferPointer { o in raw.withUnsafeBufferPointer { compress2(o.baseAddress, &length, $0.baseAddress, uLong(raw.count), 6) } }
        guard status == Z_OK else { throw Malformed() }
        return stored + out.prefix(Int(length))
    }

    // MARK: The row layout (read)

    /// Records one after the other: a key tag (0: LEB128 difference from the previous IPv4
    /// key; 1: 16 bytes), LEB128 day, first seen into the day and last seen after first,
    /// the count entries (LEB128 number; four bytes and a LEB128 count each), the samples
    /// (LEB128 number; kind, reason, LEB128 line and offset each).
    static func rowLayoutRecords(_ raw: UnsafeRawBufferPointer) throws -> [Record] {
        var records: [Record] = []
        var i = 0
        var previousV4: UInt32 = 0
        while i < raw.count {
            let tag = raw[i]
            i += 1
            var key: [UInt8]
            if tag == 0 {
                let delta = try readNumber(raw, &i, maxShift: 28)
                guard delta <= UInt64(UInt32.max) else { throw Malformed() }
                previousV4 = previousV4 &+ UInt32(delta)
                key = [UInt8(previousV4 >> 24), UInt8((previousV4 >> 16) & 0xFF), UInt8((previousV4 >> 8) & 0xFF), UInt8(previousV4 & 0xFF)]
            } else if tag == 1, i + 16 <= raw.count {
                key = Array(raw[i..<i + 16])
                i += 16
            } else {
                throw Malformed()
            }
            let day = Int32(bitPattern: UInt32(truncatingIfNeeded: try readNumber(raw, &i, maxShift: 28)))
            let first = try readTime(raw, &i)
            let span = try readTime(raw, &i)
            var counts: [(UInt8, UInt8, UInt8, UInt8, UInt64)] = []
            for _ in 0..<(try readNumber(raw, &i, maxShift: 21)) {
                guard i + 4 <= raw.count else { throw Malformed() }
                let entry = (raw[i], raw[i + 1], raw[i + 2], raw[i + 3])
                i += 4
                counts.append((entry.0, entry.1, entry.2, entry.3, try readNumber(raw, &i, maxShift: 62)))
            }
            var samples: [(UInt8, UInt8, UInt64, UInt64)] = []
            for _ in 0..<(try readNumber(raw, &i, maxShift: 21)) {
                guard i + 2 <= raw.count else { throw Malformed() }
                let kind = raw[i], reason = raw[i + 1]
                i += 2
                let line = try readNumber(raw, &i, maxShift: 62)
                samples.append((kind, reason, line, try readNumber(raw, &i, maxShift: 63)))
            }
            let firstSeen = Int64(day) * 86_400_000 + first
            records.append(Record(key: key, day: day, first: firstSeen, last: firstSeen + span, counts: counts, samples: samples))
        }
        return records
    }

    // MARK: Format 2 (write), as it shipped

    /// Blocks of about 1,024 records (a client's days never split), each column-wise: the
    /// format byte 2; LEB128 record count, offset rate and the eight section lengths; the
    /// sections (keys, days, first seen, last seen, count numbers, counts, sample kinds,
    /// sample positions).
    static func columnBlocks(_ records: [Record]) throws -> [(firstKey: [UInt8], data: [UInt8])] {
        var blocks: [(firstKey: [UInt8], data: [UInt8])] = []
        var start = 0
        while start < records.count {
            var end = min(start + 1024, records.count)
            while end < records.count, records[end].key == records[end - 1].key { end += 1 }
            blocks.append((records[start].key, try deflate(columnBlock(records[start..<end]))))
            start = end
        }
        return blocks
    }

    static func columnBlock(_ records: ArraySlice<Record>) -> [UInt8] {
        var sections = [[UInt8]](repeating: [], count: 8)
        var positions: [(line: UInt64, offset: UInt64)] = []
        var previousV4: UInt32 = 0
        for record in records {
            if record.key.count == 4 {
                let value = UInt32(record.key[0]) << 24 | UInt32(record.key[1]) << 16 | UInt32(record.key[2]) << 8 | UInt32(record.key[3])
                sections[0].append(0)
                appendNumber(UInt64(value &- previousV4), to: &sections[0])
                previousV4 = value
            } else {
                sections[0].append(1)
                sections[0] += record.key
            }
            let dayStart = Int64(record.day) * 86_400_000
            appendNumber(UInt64(UInt32(bitPattern: record.day)), to: &sections[1])
            appendTime(max(0, record.first - dayStart), to: &sections[2])
            appendTime(max(0, record.last - record.first), to: &sections[3])
            appendNumber(UInt64(record.counts.count), to: &sections[4])
            for (hour, kind, reason, status, count) in record.counts {
                sections[5] += [hour, kind, reason, status]
                appendNumber(count, to: &sections[5])
            }
            appendNumber(UInt64(record.samples.count), to: &sections[6])
            for (kind, reason, line, offset) in record.samples {
                sections[6] += [kind, reason]
                positions.append((line, offset))
            }
        }
        var lines = 0.0
        var offsets = 0.0
        for p in positions {
            lines += Double(p.line)
            offsets += Double(p.offset)
        }
        let rate: UInt64 = lines > 0 ? UInt64(min(offsets / lines * 256, Double(1 << 40)).rounded()) : 0
        for p in positions {
            appendNumber(p.line, to: &sections[7])
            let predicted = UInt64(truncatingIfNeeded: (UInt128(p.line) &* UInt128(rate)) >> 8)
            let difference = Int64(bitPattern: p.offset &- predicted)
            appendNumber(UInt64(bitPattern: (difference << 1) ^ (difference >> 63)), to: &sections[7])
        }
        var raw: [UInt8] = [2]
        appendNumber(UInt64(records.count), to: &raw)
        appendNumber(rate, to: &raw)
        for section in sections { appendNumber(UInt64(section.count), to: &raw) }
        for section in sections { raw += section }
        return raw
    }
}
