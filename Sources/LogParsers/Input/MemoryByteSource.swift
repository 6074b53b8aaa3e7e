/// Bytes already in memory as a `ByteSource`: lines handed back for re-parsing (evidence
/// excerpts) go through the same parsers as files.
final class MemoryByteSource: ByteSource {
    private let bytes: [UInt8]
    private(set) var bytesProduced: UInt64 = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        let start = Int(bytesProduced)
        let n = min(buffer.count, bytes.count - start)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + start, byteCount: n)
        }
        bytesProduced += UInt64(n)
        return n
    }
}
