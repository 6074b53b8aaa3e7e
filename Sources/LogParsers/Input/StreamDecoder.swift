/// One streaming decompressor behind `DecompressingByteSource`: it turns input bytes into
/// output bytes a step at a time and says where its stream stands. The driver owns the
/// buffers, the errors' offsets, truncation and the expansion bound.
protocol StreamDecoder: AnyObject {
    /// `zstd`, `xz`, `bzip2`: named in error details.
    static var format: String { get }

    /// Decodes from `input` into `output`. `finishing`: no input will follow `input`.
    func step(input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer, finishing: Bool) -> DecoderStep
}

/// What one step did.
struct DecoderStep {
    enum State {
        /// Inside a frame, block or stream: more input is needed to end it.
        case open
        /// Between frames or streams: the input may end here.
        case boundary
        /// The data ended for good (nothing may follow).
        case ended
        /// Broken data: why.
        case failed(String)
    }

    var consumed: Int
    var produced: Int
    var state: State
}
