import SystemZstd

/// Decompresses a zstd stream (RFC 8878) read from `upstream`, frame after frame (skippable
/// frames skipped, as `zstd -dc` does). Each frame's checksum, when it has one, is checked
/// by the library. Errors carry the uncompressed offset reached.
final class ZstdByteSource: ByteSource {
    private static let inputCapacity = 256 * 1024

    private let upstream: ByteSource
    private let stream: OpaquePointer
    private let input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    private var upstreamEnded = false
    /// Whether a frame is begun and not yet complete.
    private var inFrame = false
    private var finished = false
    private var pendingError: InputError?
    private(set) var bytesProduced: UInt64 = 0
    private var bytesTaken: UInt64 = 0
    private let limit: ExpansionLimit

    init(upstream: ByteSource, maxExpansionRatio: Int? = nil) throws(InputError) {
        guard let stream = ZSTD_createDStream() else { throw InputError(.readFailed, detail: "zstd: cannot allocate a decompression context") }
        self.upstream = upstream
        self.stream = stream
        limit = ExpansionLimit(maxExpansionRatio)
        input = .allocate(byteCount: Self.inputCapacity, alignment: 64)
        ZSTD_initDStream(stream)
    }

    deinit {
        ZSTD_freeDStream(stream)
        input.deallocate()
    }

    private func refill() throws(InputError) -> Bool {
        if inputStart < inputEnd { return true }
        if upstreamEnded { return false }
        let n = try upstream.read(into: input)
        if n == 0 {
            upstreamEnded = true
            return false
        }
        inputStart = 0
        inputEnd = n
        bytesTaken += UInt64(n)
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
            let hasInput = try refill()
            if !hasInput, !inFrame {
                finished = true
                return 0
            }
            // With no input left, one call drains what the decoder still holds.
            var inBuffer = ZSTD_inBuffer(src: input.baseAddress! + inputStart, size: inputEnd - inputStart, pos: 0)
            var outBuffer = ZSTD_outBuffer(dst: buffer.baseAddress!, size: buffer.count, pos: 0)
            let status = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
            inputStart += inBuffer.pos
            bytesProduced += UInt64(outBuffer.pos)
            if ZSTD_isError(status) != 0 {
                let error = InputError(.corruptStream, detail: "zstd: " + String(cString: ZSTD_getErrorName(status)), offset: bytesProduced)
                if outBuffer.pos > 0 {
                    pendingError = error
                    return outBuffer.pos
                }
                finished = true
                throw error
            }
            // 0: a frame is complete and flushed; anything else: more of the frame to come.
            inFrame = status != 0
            try limit.check(produced: bytesProduced, taken: bytesTaken, format: "zstd")
            if outBuffer.pos > 0 { return outBuffer.pos }
            if !hasInput {
                finished = true
                throw InputError(.truncatedStream, detail: "zstd: the stream ends inside a frame", offset: bytesProduced)
            }
        }
    }
}
