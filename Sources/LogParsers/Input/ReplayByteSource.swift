/// Gives back bytes already read from `upstream` (to sniff a format), then the rest of it.
final class ReplayByteSource: ByteSource {
    private let upstream: ByteSource
    private var prefix: [UInt8]
    private var prefixPosition = 0
    private(set) var bytesProduced: UInt64 = 0

    init(prefix: [UInt8], upstream: ByteSource) {
        self.prefix = prefix
        self.upstream = upstream
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        if prefixPosition < prefix.count {
            let n = min(buffer.count, prefix.count - prefixPosition)
            prefix.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + prefixPosition, byteCount: n)
            }
            prefixPosition += n
            if prefixPosition == prefix.count { prefix = [] ; prefixPosition = Int.max }
            bytesProduced += UInt64(n)
            return n
        }
        let n = try upstream.read(into: buffer)
        bytesProduced += UInt64(n)
        return n
    }

    /// Reads up to `count` bytes from `source` for sniffing, stopping early only at the end.
    static func peek(_ source: ByteSource, count: Int) throws(InputError) -> [UInt8] {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        defer { scratch.deallocate() }
        var filled = 0
        while filled < count {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[filled...]))
            if n == 0 { break }
            filled += n
        }
        return Array(scratch[0..<filled])
    }
}
