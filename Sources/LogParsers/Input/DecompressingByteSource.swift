/// Reads a compressed stream from `upstream` through a `StreamDecoder` (zstd, xz, bzip2):
/// bytes decoded before an error are handed out first and the error follows at the next
/// read, with the uncompressed offset reached; input that ends inside a frame is a
/// truncation; a stream expanding beyond `maxExpansionRatio` is stopped while it is read.
final class DecompressingByteSource<Decoder: StreamDecoder>: ByteSource {
    private static var inputCapacity: Int { 256 * 1024 }

    private let upstream: ByteSource
    private let decoder: Decoder
    private let input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    private var upstreamEnded = false
    private var open = false
    private var finished = false
    private var pendingError: InputError?
    /// Steps in a row that took no input and gave no output although input was there.
    private var stalls = 0
    private(set) var bytesProduced: UInt64 = 0
    private var bytesTaken: UInt64 = 0
    private let limit: ExpansionLimit

    init(upstream: ByteSource, decoder: Decoder, maxExpansionRatio: Int? = nil) {
        self.upstream = upstream
        self.decoder = decoder
        limit = ExpansionLimit(maxExpansionRatio)
        input = .allocate(byteCount: Self.inputCapacity, alignment: 64)
    }

    deinit { input.deallocate() }

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
            if !hasInput, !open {
                finished = true
                return 0
            }
            // With no input left, a step still drains what the decoder holds.
            let step = decoder.step(
                input: UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd]), output: buffer, finishing: !hasInput)
            inputStart += step.consumed
            bytesProduced += UInt64(step.produced)
            switch step.state {
            case .failed(let why):
                let error = InputError(.corruptStream, detail: "\(Decoder.format): \(why)", offset: bytesProduced)
                if step.produced > 0 {
                    pendingError = error
                    return step.produced
                }
                finished = true
                throw error
            case .ended:
                finished = true
                return step.produced
            case .open:
                open = true
            case .boundary:
                open = false
            }
            do {
                try limit.check(produced: bytesProduced, taken: bytesTaken, format: Decoder.format)
            } catch {
                finished = true
                throw error
            }
            if step.produced > 0 { return step.produced }
            stalls = hasInput && step.consumed == 0 ? stalls + 1 : 0
            if stalls > 2 {
                finished = true
                throw InputError(.corruptStream, detail: "\(Decoder.format): the decoder makes no progress", offset: bytesProduced)
            }
            if !hasInput {
                finished = true
                throw InputError(.truncatedStream, detail: "\(Decoder.format): the stream ends inside a frame or block", offset: bytesProduced)
            }
        }
    }
}
