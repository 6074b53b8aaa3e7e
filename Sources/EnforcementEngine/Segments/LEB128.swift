import Foundation

/// Unsigned LEB128 varints, the numbers of segment blocks (`SegmentCodec`).
enum LEB128 {
    @inline(__always)
    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Reads a varint at `i` and moves past it; nil when the bytes end first or the value
    /// would need a shift beyond `maxShift`.
    @inline(__always)
    static func read(_ bytes: UnsafeRawBufferPointer, _ i: inout Int, maxShift: UInt64) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard i < bytes.count, shift <= maxShift else { return nil }
            let byte = bytes[i]
            value |= UInt64(byte & 0x7F) << shift
            i += 1
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }
}
