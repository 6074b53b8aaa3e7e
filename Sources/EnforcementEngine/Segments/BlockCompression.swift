import Foundation
import SystemIsal

/// zlib-format (RFC 1950) compression of segment blocks. Blocks are deflated by ISA-L at
/// its level 3 (about ten times faster than zlib's default level for a few per cent more
/// bytes, measured on ingest's blocks) and inflated by ISA-L too: the stream is standard
/// either way (a test reads blocks deflated by zlib).
enum BlockCompression {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Largest block inflated (a hostile or damaged database cannot ask for more).
    static let maxBlock = 16 << 20

    /// A deflater with its working memory, reused for every block of one writer. Not
    /// shared between threads.
    final class Deflater {
        static let level: UInt32 = 3
        private let levelBuffer: UnsafeMutableRawBufferPointer
        private var output: [UInt8] = []

        init() {
            levelBuffer = .allocate(byteCount: Int(abuse_isal_level_buffer_size(Int32(Self.level))), alignment: 64)
        }

        deinit { levelBuffer.deallocate() }

        /// Appends the zlib stream of `bytes` to `out`. The block writer keeps blocks within
        /// `maxBlock` (`SegmentCodec.BlockTooLarge`), far below ISA-L's 32-bit lengths.
        func compress(_ bytes: [UInt8], appendingTo out: inout [UInt8]) throws {
            // Stored blocks cost 5 bytes per 64 KiB; zlib's header and trailer 6.
            var capacity = bytes.count + bytes.count / 16 + 64
            while true {
                if output.count < capacity { output = [UInt8](repeating: 0, count: capacity) }
                var stream = isal_zstream()
                isal_deflate_stateless_init(&stream)
                stream.level = Self.level
                stream.level_buf = levelBuffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.level_buf_size = UInt32(levelBuffer.count)
                stream.gzip_flag = UInt16(IGZIP_ZLIB)
                stream.end_of_stream = 1
                stream.flush = UInt16(NO_FLUSH)
                let (status, written) = bytes.withUnsafeBufferPointer { input in
                    output.withUnsafeMutableBufferPointer { o in
                        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                        stream.avail_in = UInt32(input.count)
                        stream.next_out = o.baseAddress
                        stream.avail_out = UInt32(o.count)
                        let status = isal_deflate_stateless(&stream)
                        return (status, Int(stream.total_out))
                    }
                }
                if status == COMP_OK {
                    out.append(contentsOf: output[0..<written])
                    return
                }
                guard status == STATELESS_OVERFLOW, capacity < 2 * bytes.count + 1024 else {
                    throw Failure(description: "ISA-L deflate failed (\(status))")
                }
                capacity = 2 * bytes.count + 1024
            }
        }
    }

    /// Inflates a block whose raw size is `size`.
    static func decompress(_ bytes: UnsafeRawBufferPointer, size: Int) throws -> [UInt8] {
        guard size >= 0, size <= maxBlock else { throw Failure(description: "a segment block claims \(size) bytes") }
        // ISA-L's one-shot inflate, checking the zlib header and the Adler-32 trailer: a
        // lookup inflates one block per segment, so this is most of its time (about three
        // times zlib's speed on these blocks).
        let state = UnsafeMutablePointer<inflate_state>.allocate(capacity: 1)
        defer { state.deallocate() }
        isal_inflate_init(state)
        state.pointee.crc_flag = UInt32(ISAL_ZLIB)
        var status: Int32 = 0
        var written = 0
        let out = [UInt8](unsafeUninitializedCapacity: max(size, 1)) { buffer, count in
            state.pointee.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
            state.pointee.avail_in = UInt32(bytes.count)
            state.pointee.next_out = buffer.baseAddress
            state.pointee.avail_out = UInt32(size)
            status = isal_inflate_stateless(state)
            written = Int(state.pointee.total_out)
            // Only bytes written are kept: a short block is refused below, never read.
            count = status == ISAL_DECOMP_OK && written == size ? size : 0
        }
        guard status == ISAL_DECOMP_OK, written == size else { throw Failure(description: "a segment block does not inflate (\(status))") }
        return out
    }
}
