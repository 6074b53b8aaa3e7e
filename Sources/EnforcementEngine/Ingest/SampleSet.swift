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
            for value in [e.priority, UInt64(e.shipmentID), UInt64(e.line), e.offset] { appendVarint(value, &data) }
        }
        return data
    }

    public static func decode(_ data: Data) throws(DecodingError) -> [Entry] {
        let bytes = [UInt8](data)
        var entries: [Entry] = []
        var i = 0
        func varint() throws(DecodingError) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < bytes.count, shift <= 63 else { throw .malformed }
                value |= UInt64(bytes[i] & 0x7F) << shift
                i += 1
                if bytes[i - 1] & 0x80 == 0 { return value }
                shift += 7
            }
        }
        while i < bytes.count {
            guard i + 2 <= bytes.count else { throw .malformed }
            let kind = bytes[i]
            let reason = bytes[i + 1]
            i += 2
            let priority = try varint()
            let shipment = try varint()
            let line = try varint()
            let offset = try varint()
            entries.append(Entry(kind: kind, reason: reason, priority: priority, shipmentID: Int64(shipment), line: Int(line), offset: offset))
        }
        return entries
    }

    private static func appendVarint(_ value: UInt64, _ data: inout Data) {
        var v = value
        repeat {
            var byte = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 { byte |= 0x80 }
            data.append(byte)
        } while v != 0
    }
}
