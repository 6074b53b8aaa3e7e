import Foundation

/// The evidence samples of one (client, reporter), packed: for each `kind.reason`, the line
/// references with the smallest priorities (a deterministic reservoir). Entries are
/// kind, reason, then LEB128 priority, shipment id, line and byte offset.
public enum SampleSet {
    public struct Entry: Hashable, Sendable {
        public var kind: UInt8
        /// `RejectReason.rawValue`, 255 for none.
        public var reason: UInt8
        public var priority: UInt64
        public var shipmentID: Int64
        /// 1-based line number in the shipped file.
        public var line: Int
        /// Byte offset of the line in the uncompressed file.
        public var offset: UInt64

        public init(kind: UInt8, reason: UInt8, priority: UInt64, shipmentID: Int64, line: Int, offset: UInt64) {
            self.kind = kind
            self.reason = reason
            self.priority = priority
            self.shipmentID = shipmentID
            self.line = line
            self.offset = offset
        }
    }

    public enum DecodingError: Error { case malformed }

    /// Keeps, per (kind, reason), the `limit` entries of smallest priority, and packs them.
    public static func encode(_ entries: [Entry], limit: Int) -> Data {
        let sorted = entries.sorted { a, b in
            if a.kind != b.kind { return a.kind < b.kind }
            if a.reason != b.reason { return a.reason < b.reason }
            if a.priority != b.priority { return a.priority < b.priority }
            return (a.shipmentID, a.line) < (b.shipmentID, b.line)
        }
        var data = Data(capacity: sorted.count * 14)
        var kept = 0
        var previous: (UInt8, UInt8)?
        var last: Entry?
        for e in sorted {
            if last == e { continue }
            last = e
            if previous.map({ $0 == (e.kind, e.reason) }) != true {
                previous = (e.kind, e.reason)
                kept = 0
            }
            guard kept < limit else { continue }
            kept += 1
            data.append(e.kind)
            data.append(e.reason)
            for value in [e.priority, UInt64(e.shipmentID), UInt64(e.line), e.offset] { LEB128.append(value, to: &data) }
        }
        return data
    }

    public static func decode(_ data: Data) throws(DecodingError) -> [Entry] {
        let entries: [Entry]? = data.withUnsafeBytes { bytes in
            var entries: [Entry] = []
            var i = 0
            while i < bytes.count {
                guard i + 2 <= bytes.count else { return nil }
                let kind = bytes[i]
                let reason = bytes[i + 1]
                i += 2
                guard let priority = LEB128.read(bytes, &i, maxShift: 63), let shipment = LEB128.read(bytes, &i, maxShift: 63),
                    let line = LEB128.read(bytes, &i, maxShift: 63), let offset = LEB128.read(bytes, &i, maxShift: 63)
                else { return nil }
                entries.append(Entry(kind: kind, reason: reason, priority: priority, shipmentID: Int64(bitPattern: shipment), line: Int(truncatingIfNeeded: line), offset: offset))
            }
            return entries
        }
        guard let entries else { throw .malformed }
        return entries
    }
}
