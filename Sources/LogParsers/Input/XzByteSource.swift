import SystemLzma

/// Decompresses an xz stream read from `upstream` (concatenated streams and stream padding
/// read whole, as `xz -dc` does); every block's check (CRC-32, CRC-64 or SHA-256) is
/// verified by liblzma. Errors carry the uncompressed offset reached.
final class XzByteSource: ByteSource {
    private static let inputCapacity = 256 * 1024

    private let upstream: ByteSource
    private let stream: UnsafeMutablePointer<lzma_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var upstreamEnded = false
    private var finished = false
    private var pendingError: InputError?
    private(set) var bytesProduced: UInt64 = 0
    private var bytesTaken: UInt64 = 0
    private let limit: ExpansionLimit

    init(upstream: ByteSource, maxExpansionRatio: Int? = nil) throws(InputError) {
        self.upstream = upstream
        limit = ExpansionLimit(maxExpansionRatio)
        stream = .allocate(capacity: 1)
        stream.initialize(to: lzma_stream())
        input = .allocate(byteCount: Self.inputCapacity, alignment: 64)
        let status = lzma_stream_decoder(stream, UInt64.max, abuse_lzma_concatenated())
        guard status == LZMA_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            input.deallocate()
            throw InputError(.readFailed, detail: "xz: cannot start a decoder (\(status.rawValue))")
        }
    }

    deinit {
        lzma_end(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    private func refill() throws(InputError) {
        guard stream.pointee.avail_in == 0, !upstreamEnded else { return }
        let n = try upstream.read(into: input)
        if n == 0 {
            upstreamEnded = true
            return
        }
        stream.pointee.next_in = UnsafePointer(input.baseAddress!.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = n
        bytesTaken += UInt64(n)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        if let pendingError {
            finished = true
            self.pendingError = nil
            throw pendingError
        }
        if finished || buffer.count == 0 { return 0 }
        while true {
            try refill()
            stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_out = buffer.count
            let status = lzma_code(stream, upstreamEnded ? LZMA_FINISH : LZMA_RUN)
            let produced = buffer.count - stream.pointee.avail_out
            bytesProduced += UInt64(produced)
            switch status {
            case LZMA_OK:
                break
            case LZMA_STREAM_END:
                finished = true
                return produced
            default:
                let error =
                    status == LZMA_BUF_ERROR && upstreamEnded
                    ? InputError(.truncatedStream, detail: "xz: the stream ends inside a block", offset: bytesProduced)
                    : InputError(.corruptStream, detail: "xz: " + Self.describe(status), offset: bytesProduced)
                if produced > 0 {
                    pendingError = error
                    return produced
                }
                finished = true
                throw error
            }
            try limit.check(produced: bytesProduced, taken: bytesTaken, format: "xz")
            if produced > 0 { return produced }
        }
    }

    static func describe(_ status: lzma_ret) -> String {
        switch status {
        case LZMA_FORMAT_ERROR: "not an xz stream"
        case LZMA_OPTIONS_ERROR: "unsupported options"
        case LZMA_DATA_ERROR: "corrupt data"
        case LZMA_BUF_ERROR: "no progress possible"
        case LZMA_MEM_ERROR: "out of memory"
        case LZMA_UNSUPPORTED_CHECK: "unsupported integrity check"
        default: "error \(status.rawValue)"
        }
    }
}
