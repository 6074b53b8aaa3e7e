import SystemBzip2

/// Decompresses bzip2 read from `upstream`, stream after stream (`pbzip2` writes several;
/// `bzip2 -dc` reads them all), each block's CRC checked by libbz2. Bytes after the last
/// stream that are not another stream are an error. Errors carry the uncompressed offset.
final class Bzip2ByteSource: ByteSource {
    private static let inputCapacity = 256 * 1024

    private let upstream: ByteSource
    private let stream: UnsafeMutablePointer<bz_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var upstreamEnded = false
    private var streamOpen = true
    private var finished = false
    private var pendingError: InputError?
    private(set) var bytesProduced: UInt64 = 0
    private var bytesTaken: UInt64 = 0
    private let limit: ExpansionLimit

    init(upstream: ByteSource, maxExpansionRatio: Int? = nil) throws(InputError) {
        self.upstream = upstream
        limit = ExpansionLimit(maxExpansionRatio)
        stream = .allocate(capacity: 1)
        stream.initialize(to: bz_stream())
        input = .allocate(byteCount: Self.inputCapacity, alignment: 64)
        guard BZ2_bzDecompressInit(stream, 0, 0) == BZ_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            input.deallocate()
            throw InputError(.readFailed, detail: "bzip2: cannot start a decoder")
        }
    }

    deinit {
        BZ2_bzDecompressEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    private func refill() throws(InputError) -> Bool {
        if stream.pointee.avail_in > 0 { return true }
        if upstreamEnded { return false }
        let n = try upstream.read(into: input)
        if n == 0 {
            upstreamEnded = true
            return false
        }
        stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: CChar.self)
        stream.pointee.avail_in = UInt32(n)
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
        let capacity = min(buffer.count, Int(UInt32.max))
        while true {
            if !streamOpen {
                try startNextStreamOrFinish()
                if finished { return 0 }
            }
            let hasInput = try refill()
            stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
            stream.pointee.avail_out = UInt32(capacity)
            let status = BZ2_bzDecompress(stream)
            let produced = capacity - Int(stream.pointee.avail_out)
            bytesProduced += UInt64(produced)
            if status != BZ_OK, status != BZ_STREAM_END {
                let error = InputError(.corruptStream, detail: "bzip2: " + Self.describe(status), offset: bytesProduced)
                if produced > 0 {
                    pendingError = error
                    return produced
                }
                finished = true
                throw error
            }
            if status == BZ_STREAM_END { streamOpen = false }
            try limit.check(produced: bytesProduced, taken: bytesTaken, format: "bzip2")
            if produced > 0 { return produced }
            if streamOpen, !hasInput {
                finished = true
                throw InputError(.truncatedStream, detail: "bzip2: the stream ends inside a block", offset: bytesProduced)
            }
        }
    }

    /// After a stream's end: another stream (`BZh`), or the end, or garbage.
    private func startNextStreamOrFinish() throws(InputError) {
        guard try refill() else {
            finished = true
            return
        }
        // The next stream's magic may straddle two reads; three bytes are enough to tell.
        let next = UnsafeRawPointer(stream.pointee.next_in!).assumingMemoryBound(to: UInt8.self)
        let available = Int(stream.pointee.avail_in)
        let magic: [UInt8] = [0x42, 0x5A, 0x68]
        for k in 0..<min(3, available) where next[k] != magic[k] {
            throw InputError(.corruptStream, detail: "bzip2: bytes after the last stream are not bzip2", offset: bytesProduced)
        }
        let remaining = stream.pointee.avail_in
        let position = stream.pointee.next_in
        BZ2_bzDecompressEnd(stream)
        stream.pointee = bz_stream()
        guard BZ2_bzDecompressInit(stream, 0, 0) == BZ_OK else { throw InputError(.readFailed, detail: "bzip2: cannot start a decoder", offset: bytesProduced) }
        stream.pointee.next_in = position
        stream.pointee.avail_in = remaining
        streamOpen = true
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
