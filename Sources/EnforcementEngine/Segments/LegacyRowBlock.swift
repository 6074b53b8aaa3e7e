import Foundation

/// The first layout of segment blocks (before `SegmentCodec.format` 2), read only to
/// rewrite such blocks once (`engine-v4-column-blocks`): records one after the other, each
/// a key tag (0: LEB128 difference from the previous IPv4 key; 1: 16 bytes), LEB128 day,
/// first seen into the day and last seen after first (`SegmentCodec.appendTime`), the count
/// entries (LEB128 number; four bytes and a LEB128 count each) and the samples (LEB128
/// number; kind, reason, LEB128 line and offset each).
enum LegacyRowBlock {
    static func records(_ raw: UnsafeRawBufferPointer) throws -> [SegmentRecord] {
        var records: [SegmentRecord] = []
        var i = 0
        var previousV4: UInt32 = 0
        func number(_ maxShift: UInt64) throws -> UInt64 {
            guard let value = LEB128.read(raw, &i, maxShift: maxShift) else { throw SegmentCodec.MalformedBlock() }
            return value
        }
        while i < raw.count {
            let tag = raw[i]
            i += 1
            var key: [UInt8]
            if tag == 0 {
                let delta = try number(28)
                guard delta <= UInt64(UInt32.max) else { throw SegmentCodec.MalformedBlock() }
                previousV4 = previousV4 &+ UInt32(delta)
                key = [UInt8(previousV4 >> 24), UInt8((previousV4 >> 16) & 0xFF), UInt8((previousV4 >> 8) & 0xFF), UInt8(previousV4 & 0xFF)]
            } else if tag == 1, i + 16 <= raw.count {
                key = Array(raw[i..<i + 16])
                i += 16
            } else {
                throw SegmentCodec.MalformedBlock()
            }
            let day = Int32(bitPattern: UInt32(truncatingIfNeeded: try number(28)))
            guard let first = SegmentCodec.readTime(raw, &i), let span = SegmentCodec.readTime(raw, &i) else { throw SegmentCodec.MalformedBlock() }
            var counts: [DayCounts.Entry] = []
            for _ in 0..<(try number(21)) {
                guard i + 4 <= raw.count else { throw SegmentCodec.MalformedBlock() }
                let hour = raw[i], kind = raw[i + 1], reason = raw[i + 2], status = raw[i + 3]
                i += 4
                counts.append(DayCounts.Entry(hourOfDay: hour, kind: kind, reason: reason, status: status, count: Int(try number(62))))
            }
            var samples: [SegmentRecord.Sample] = []
            for _ in 0..<(try number(21)) {
                guard i + 2 <= raw.count else { throw SegmentCodec.MalformedBlock() }
                let kind = raw[i], reason = raw[i + 1]
                i += 2
                let line = Int(try number(62))
                samples.append(SegmentRecord.Sample(kind: kind, reason: reason, line: line, offset: try number(63)))
            }
            let firstSeen = Int64(day) * 86_400_000 + first
            records.append(SegmentRecord(key: key, day: day, first: firstSeen, last: firstSeen + span, counts: counts, samples: samples))
        }
        return records
    }
}
