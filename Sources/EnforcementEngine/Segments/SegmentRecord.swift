import Foundation
import LogParsers
import Primitives

/// One client's day in one shipment, as a segment stores it: the client's address (as
/// `IPKey` bytes), the day, first and last seen, the counts per (hour, kind, reason,
/// status), and the sample line references of that day.
public struct SegmentRecord: Sendable, Equatable {
    /// A sampled line of the shipment; its priority is derived from the shipment's SHA-256
    /// and the line (`FileAggregate.priority`), so it is not stored.
    public struct Sample: Sendable, Equatable {
        public var kind: UInt8
        /// `RejectReason.rawValue`, 255 for none.
        public var reason: UInt8
        /// 1-based line number in the shipped file.
        public var line: Int
        /// Byte offset of the line in the uncompressed file.
        public var offset: UInt64

        public init(kind: UInt8, reason: UInt8, line: Int, offset: UInt64) {
            self.kind = kind
            self.reason = reason
            self.line = line
            self.offset = offset
        }
    }

    /// `IPKey.bytes` of the client: 4 bytes for IPv4, 16 for IPv6.
    public var key: [UInt8]
    /// Days since 1970-01-01 (UTC).
    public var day: Int32
    /// First and last event of the day (UTC ms).
    public var first: Int64
    public var last: Int64
    /// Sorted by their packed key.
    public var counts: [DayCounts.Entry]
    public var samples: [Sample]

    public init(key: [UInt8], day: Int32, first: Int64, last: Int64, counts: [DayCounts.Entry], samples: [Sample]) {
        self.key = key
        self.day = day
        self.first = first
        self.last = last
        self.counts = counts
        self.samples = samples
    }

    public var ip: IPAddress? { IPKey.address(bytes: key) }

    /// Segment order: address bytes as SQLite compares BLOBs (bytes, then length), then day.
    public static func precedes(_ a: SegmentRecord, _ b: SegmentRecord) -> Bool {
        let order = compareKeys(a.key, b.key)
        return order != 0 ? order < 0 : a.day < b.day
    }

    /// memcmp order, a shorter key first when it is a prefix of the longer.
    @inline(__always)
    public static func compareKeys(_ a: [UInt8], _ b: [UInt8]) -> Int {
        let n = min(a.count, b.count)
        for i in 0..<n where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}
