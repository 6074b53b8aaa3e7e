import SystemZlib

/// Inflates a gzip stream read from `upstream`, member after member (`cat a.gz b.gz` is read
/// whole), and checks every member's CRC and length.
///
/// Errors carry the uncompressed offset reached. NUL padding after the last member (as
/// written by some tape and copy tools) is accepted; anything else after it is an error.
final class GzipByteSource: ByteSource {
    private static let inputCapacity = 256 * 1024

    private let upstream: ByteSource
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var upstreamEnded = false
    private var memberOpen = true
    private var finished = false
    /// An error met after some output was produced: delivered at the next read.
    private var pendingError: InputError?
    private(set) var bytesProduced: UInt64 = 0

    init(upstream: ByteSource) throws(InputError) {
        self.upstream = upstream
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: Self.inputCapacity, alignment: 16)
        let status = inflateInit2_(stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            input.deallocate()
            stream.deallocate()
            throw InputError(.corruptGzip, detail: "zlib could not start (\(status))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    /// Refills the input buffer when it is empty; returns false at the end of the upstream.
    private func refill() throws(InputError) -> Bool {
        if stream.pointee.avail_in > 0 { return true }
        if upstreamEnded { return false }
        let n = try upstream.read(into: input)
        if n == 0 {
            upstreamEnded = true
            return false
        }
        stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(n)
        return true
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        if let pendingError {
            finished = true
            self.pendingError = nil
            throw pendingError
        }
        if finished || buffer.count == 0 { return 0 }
        while true {
            if !memberOpen {
                try startNextMemberOrFinish()
                if finished { return 0 }
            }
            guard try refill() else {
                throw InputError(.truncatedGzip, detail: "the stream ends inside a gzip member", offset: bytesProduced)
            }
            stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(buffer.count)
            let status = inflate(stream, Z_NO_FLUSH)
            let produced = buffer.count - Int(stream.pointee.avail_out)
            bytesProduced += UInt64(produced)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                break
            case Z_STREAM_END:
                memberOpen = false
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                let error = InputError(.corruptGzip, detail: message, offset: bytesProduced)
                // Hand out what was inflated before the error first.
                if produced > 0 {
                    pendingError = error
                    return produced
                }
                finished = true
                throw error
            }
            if produced > 0 { return produced }
        }
    }

    /// After a member's end: another member follows, or only NUL padding, or garbage.
    private func startNextMemberOrFinish() throws(InputError) {
        while true {
            guard try refill() else {
                finished = true
                return
            }
            let next = stream.pointee.next_in!
            let available = Int(stream.pointee.avail_in)
            if next[0] == 0 {
                // Skip NUL padding.
                var k = 0
                while k < available, next[k] == 0 { k += 1 }
                if k < available {
                    throw InputError(.trailingGarbage, detail: "non-NUL bytes after padding", offset: bytesProduced)
                }
                stream.pointee.next_in = next + k
                stream.pointee.avail_in = 0
                continue
            }
            if next[0] != 0x1F || (available >= 2 && next[1] != 0x8B) {
                throw InputError(.trailingGarbage, detail: "bytes after the last gzip member are not gzip", offset: bytesProduced)
            }
            let status = inflateReset(stream)
            guard status == Z_OK else {
                throw InputError(.corruptGzip, detail: "zlib could not restart (\(status))", offset: bytesProduced)
            }
            memberOpen = true
            return
        }
    }
}
