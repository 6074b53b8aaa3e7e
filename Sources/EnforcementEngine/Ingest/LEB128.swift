import Foundation

/// Unsigned LEB128 varints, the numbers of the packed aggregates (`DayCounts`, `SampleSet`).
enum LEB128 {
    static func append(_ value: UInt64, to data: inout Data) {
        var v = value
        repeat {
            var byte = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 { byte |= 0x80 }
            data.append(byte)
        } while v != 0
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
