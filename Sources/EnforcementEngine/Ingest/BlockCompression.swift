import Foundation
import SystemZlib

/// zlib (RFC 1950) compression of segment blocks, through the system library.
enum BlockCompression {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Largest block inflated (a hostile or damaged database cannot ask for more).
    static let maxBlock = 16 << 20

    static func compress(_ bytes: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var length = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let status = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { i in compress2(o.baseAddress, &length, i.baseAddress, uLong(i.count), level) }
        }
        guard status == Z_OK else { throw Failure(description: "zlib compress2 failed (\(status))") }
        out.removeSubrange(Int(length)...)
        return out
    }

    /// Inflates a block whose raw size is `size`.
    static func decompress(_ bytes: UnsafeRawBufferPointer, size: Int) throws -> [UInt8] {
        guard size >= 0, size <= maxBlock else { throw Failure(description: "a segment block claims \(size) bytes") }
        var length = uLong(size)
        var out = [UInt8](repeating: 0, count: max(size, 1))
        let status = out.withUnsafeMutableBufferPointer { o in
            uncompress(o.baseAddress, &length, bytes.baseAddress?.assumingMemoryBound(to: Bytef.self), uLong(bytes.count))
        }
        guard status == Z_OK, Int(length) == size else { throw Failure(description: "a segment block does not inflate (\(status))") }
        if size == 0 { out.removeAll() }
        return out
    }
}
