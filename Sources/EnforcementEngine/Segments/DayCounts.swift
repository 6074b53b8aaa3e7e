import Foundation

/// The counts of one client's day: entries of (hour of day, kind, reason, status) with
/// their count, as segments store them (`SegmentCodec`: four bytes and a LEB128 count each).
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

        /// From a packed key (`hour << 24 | kind << 16 | reason << 8 | status`).
        init(key: UInt32, count: Int) {
            self.init(hourOfDay: UInt8(key >> 24), kind: UInt8((key >> 16) & 0xFF), reason: UInt8((key >> 8) & 0xFF), status: UInt8(key & 0xFF), count: count)
        }

        public static func < (a: Entry, b: Entry) -> Bool { a.key < b.key }
    }
}
