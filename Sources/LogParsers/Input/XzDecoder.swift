import SystemLzma

/// xz, concatenated streams and stream padding read whole (as `xz -dc` does); every
/// block's check (CRC-32, CRC-64 or SHA-256) is verified by liblzma.
final class XzDecoder: StreamDecoder {
    static let format = "xz"
    private let stream: UnsafeMutablePointer<lzma_stream>

    init() throws(InputError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: lzma_stream())
        let status = lzma_stream_decoder(stream, UInt64.max, abuse_lzma_concatenated())
        guard status == LZMA_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw InputError(.readFailed, detail: "xz: cannot start a decoder (\(status.rawValue))")
        }
    }

    deinit {
        lzma_end(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func step(input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer, finishing: Bool) -> DecoderStep {
        stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_in = input.count
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_out = output.count
        // With concatenated streams liblzma knows the end only when told the input ended.
        let status = lzma_code(stream, finishing ? LZMA_FINISH : LZMA_RUN)
        let consumed = input.count - stream.pointee.avail_in
        let produced = output.count - stream.pointee.avail_out
        switch status {
        case LZMA_OK: return DecoderStep(consumed: consumed, produced: produced, state: .open)
        case LZMA_STREAM_END: return DecoderStep(consumed: consumed, produced: produced, state: .ended)
        // No progress: at the end of the input, a stream cut short.
        case LZMA_BUF_ERROR: return DecoderStep(consumed: consumed, produced: produced, state: .open)
        default: return DecoderStep(consumed: consumed, produced: produced, state: .failed(Self.describe(status)))
        }
    }

    static func describe(_ status: lzma_ret) -> String {
        switch status {
        case LZMA_FORMAT_ERROR: "not an xz stream"
        case LZMA_OPTIONS_ERROR: "unsupported options"
        case LZMA_DATA_ERROR: "corrupt data"
        case LZMA_MEM_ERROR: "out of memory"
        case LZMA_UNSUPPORTED_CHECK: "unsupported integrity check"
        default: "error \(status.rawValue)"
        }
    }
}
