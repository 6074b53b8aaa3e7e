import Foundation

/// The counts of one (client, reporter, day), packed: entries of (hour of day, kind, reason,
/// status) with their count, sorted, each as four bytes and a LEB128 count. One row per
/// client and day instead of one per hour and kind keeps the store small and writes fast.
public enum DayCounts {
    public struct Entry: Hashable, Sendable, Comparable {
        public var hourOfDay: UInt8
        public var kind: UInt8
        /// `RejectReason.rawValue`, 255 for none.
        public var reason: UInt8
        public var status: UInt8
        public var count: Int

        public init(hourOfDay: UInt8, kind: UInt8, reason: UInt8, status: UInt8, count: Int) {
            self.hourOfDay = hourOfDay
            self.kind = kind
            self.reason = reason
            self.status = status
            self.count = count
        }

        var key: UInt32 { UInt32(hourOfDay) << 24 | UInt32(kind) << 16 | UInt32(reason) << 8 | UInt32(status) }

        public static func < (a: Entry, b: Entry) -> Bool { a.key < b.key }
    }

    public enum DecodingError: Error { case malformed }

    /// Packs entries (merging equal keys).
    public static func encode(_ entries: [Entry]) -> Data {
        var sorted = entries.sorted()
        var merged: [Entry] = []
        merged.reserveCapacity(sorted.count)
        for entry in sorted {
            if let last = merged.last, last.key == entry.key {
                merged[merged.count - 1].count += entry.count
            } else {
                merged.append(entry)
            }
        }
        sorted = merged
        var data = Data(capacity: sorted.count * 6)
        for e in sorted {
            data.append(contentsOf: [e.hourOfDay, e.kind, e.reason, e.status])
            var v = UInt64(e.count)
            repeat {
                var byte = UInt8(v & 0x7F)
                v >>= 7
                if v != 0 { byte |= 0x80 }
                data.append(byte)
            } while v != 0
        }
        return data
    }

    /// Calls `body` for each packed entry, reading the bytes in place (no allocation).
    @inline(__always)
    public static func forEachEntry(_ bytes: UnsafeRawBufferPointer, _ body: (Entry) -> Void) throws(DecodingError) {
        var i = 0
        let n = bytes.count
        while i < n {
            guard i + 5 <= n else { throw .malformed }
            var count: UInt64 = 0
            var shift: UInt64 = 0
            var k = i + 4
            while true {
                guard k < n, shift < 63 else { throw .malformed }
                let byte = bytes[k]
                count |= UInt64(byte & 0x7F) << shift
                k += 1
                if byte & 0x80 == 0 { break }
                shift += 7
            }
            body(Entry(hourOfDay: bytes[i], kind: bytes[i + 1], reason: bytes[i + 2], status: bytes[i + 3], count: Int(count)))
            i = k
        }
    }

    public static func decode(_ data: Data) throws(DecodingError) -> [Entry] {
        var entries: [Entry] = []
        let bytes = [UInt8](data)
        var i = 0
        while i < bytes.count {
            guard i + 5 <= bytes.count else { throw .malformed }
            var count: UInt64 = 0
            var shift: UInt64 = 0
            var k = i + 4
            while true {
                guard k < bytes.count, shift < 63 else { throw .malformed }
                count |= UInt64(bytes[k] & 0x7F) << shift
                k += 1
                if bytes[k - 1] & 0x80 == 0 { break }
                shift += 7
            }
            entries.append(Entry(hourOfDay: bytes[i], kind: bytes[i + 1], reason: bytes[i + 2], status: bytes[i + 3], count: Int(count)))
            i = k
        }
        return entries
    }

    /// The sum of two packed values.
    public static func merge(_ a: Data, _ b: Data) throws(DecodingError) -> Data {
        encode(try decode(a) + decode(b))
    }
}
