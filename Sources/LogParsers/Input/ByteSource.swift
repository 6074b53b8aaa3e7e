/// A stream of bytes read in chunks: a file, standard input, or a decompressor over another source.
///
/// `read(into:)` fills as much of the buffer as it can and returns the count; 0 means the end.
/// A source is used from one thread at a time.
public protocol ByteSource: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int
    /// Bytes produced so far (the uncompressed offset, for a decompressor).
    var bytesProduced: UInt64 { get }
}
