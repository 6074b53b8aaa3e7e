import SystemBzip2

/// bzip2, stream after stream (`pbzip2` writes several; `bzip2 -dc` reads them all), each
/// block's CRC checked by libbz2. Bytes after a stream that do not start another are an
/// error.
final class Bzip2Decoder: StreamDecoder {
    static let format = "bzip2"
    private let stream: UnsafeMutablePointer<bz_stream>
    /// A stream ended: the next input must begin another (`BZh`).
    private var betweenStreams = false

    init() throws(InputError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: bz_stream())
        guard BZ2_bzDecompressInit(stream, 0, 0) == BZ_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw InputError(.readFailed, detail: "bzip2: cannot start a decoder")
        }
    }

    deinit {
        BZ2_bzDecompressEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func step(input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer, finishing: Bool) -> DecoderStep {
        if betweenStreams {
            guard !input.isEmpty else { return DecoderStep(consumed: 0, produced: 0, state: .boundary) }
            // The magic may straddle two reads: what is there must begin it.
            let magic: [UInt8] = [0x42, 0x5A, 0x68]
            for k in 0..<min(3, input.count) where input[k] != magic[k] {
                return DecoderStep(consumed: 0, produced: 0, state: .failed("bytes after the last stream are not bzip2"))
            }
            BZ2_bzDecompressEnd(stream)
            stream.pointee = bz_stream()
            guard BZ2_bzDecompressInit(stream, 0, 0) == BZ_OK else { return DecoderStep(consumed: 0, produced: 0, state: .failed("cannot start a decoder")) }
            betweenStreams = false
        }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: CChar.self))
        stream.pointee.avail_in = UInt32(min(input.count, Int(UInt32.max)))
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: CChar.self)
        stream.pointee.avail_out = UInt32(min(output.count, Int(UInt32.max)))
        let availableIn = Int(stream.pointee.avail_in)
        let availableOut = Int(stream.pointee.avail_out)
        let status = BZ2_bzDecompress(stream)
        let consumed = availableIn - Int(stream.pointee.avail_in)
        let produced = availableOut - Int(stream.pointee.avail_out)
        switch status {
        case BZ_OK: return DecoderStep(consumed: consumed, produced: produced, state: .open)
        case BZ_STREAM_END:
            betweenStreams = true
            return DecoderStep(consumed: consumed, produced: produced, state: .boundary)
        default: return DecoderStep(consumed: consumed, produced: produced, state: .failed(Self.describe(status)))
        }
    }

    static func describe(_ status: Int32) -> String {
        switch status {
        case BZ_DATA_ERROR: "data integrity error (block CRC)"
        case BZ_DATA_ERROR_MAGIC: "not a bzip2 stream"
        case BZ_MEM_ERROR: "out of memory"
        case BZ_PARAM_ERROR: "parameter error"
        default: "error \(status)"
        }
    }
}
