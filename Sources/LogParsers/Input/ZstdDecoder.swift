import SystemZstd

/// zstd (RFC 8878), frame after frame (skippable frames skipped, as `zstd -dc` does); each
/// frame's checksum, when it has one, is checked by libzstd.
final class ZstdDecoder: StreamDecoder {
    static let format = "zstd"
    private let stream: OpaquePointer

    init() throws(InputError) {
        guard let stream = ZSTD_createDStream() else { throw InputError(.readFailed, detail: "zstd: cannot allocate a decompression context") }
        self.stream = stream
        ZSTD_initDStream(stream)
    }

    deinit { ZSTD_freeDStream(stream) }

    func step(input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer, finishing: Bool) -> DecoderStep {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let status = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
        if ZSTD_isError(status) != 0 {
            return DecoderStep(consumed: inBuffer.pos, produced: outBuffer.pos, state: .failed(String(cString: ZSTD_getErrorName(status))))
        }
        // 0: a frame is complete and flushed; anything else: more of the frame to come.
        return DecoderStep(consumed: inBuffer.pos, produced: outBuffer.pos, state: status == 0 ? .boundary : .open)
    }
}
