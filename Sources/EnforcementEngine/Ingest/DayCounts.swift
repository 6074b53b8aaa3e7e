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
            LEB128.append(UInt64(e.count), to: &data)
        }
        return data
    }

    /// Calls `body` for each packed entry, reading the bytes in place (no allocation).
    @inline(__always)
    public static func forEachEntry(_ bytes: UnsafeRawBufferPointer, _ body: (Entry) -> Void) throws(DecodingError) {
        var i = 0
        while i < bytes.count {
            guard i + 5 <= bytes.count else { throw .malformed }
            var k = i + 4
            guard let count = LEB128.read(bytes, &k, maxShift: 62) else { throw .malformed }
            body(Entry(hourOfDay: bytes[i], kind: bytes[i + 1], reason: bytes[i + 2], status: bytes[i + 3], count: Int(count)))
            i = k
        }
    }

    public static func decode(_ data: Data) throws(DecodingError) -> [Entry] {
        var entries: [Entry] = []
        let result: Result<Void, DecodingError> = data.withUnsafeBytes { raw in
            do throws(DecodingError) {
                try forEachEntry(raw) { entries.append($0) }
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
        return entries
    }

    /// The sum of two packed values.
    public static func merge(_ a: Data, _ b: Data) throws(DecodingError) -> Data {
        encode(try decode(a) + decode(b))
    }
}
