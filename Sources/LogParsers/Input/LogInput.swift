/// Opens a log for reading: a path or `-` for standard input, plain or compressed with
/// gzip, zstd, xz or bzip2, told apart by their magic bytes, never by the name. A file
/// compressed twice (or three times) is unwrapped layer by layer.
public enum LogInput {
    static let maxNesting = 3

    /// Opens `path` and returns a source of its uncompressed bytes, and its outer
    /// compression (nil: plain).
    /// - Parameters:
    ///   - observer: sees the file's bytes as stored, each once and in order, as they are
    ///     read (on the decompressing thread when it runs ahead).
    ///   - decompressAhead: inflate gzip on a thread of its own (`PrefetchingByteSource`).
    public static func open(
        path: String, observer: (@Sendable (UnsafeRawBufferPointer) -> Void)? = nil, decompressAhead: Bool = true, maxExpansionRatio: Int? = nil
    ) throws(InputError) -> (
        source: ByteSource, compression: Compression?
    ) {
        var source: ByteSource = try FileByteSource(path: path)
        if let observer { source = ObservingByteSource(upstream: source, observer: observer) }
        return try unwrap(source, name: path, decompressAhead: decompressAhead, maxExpansionRatio: maxExpansionRatio)
    }

    /// Bytes already in memory, read as a file is (gzip layers unwrapped): for fuzzing the
    /// readers, and for tests.
    package static func open(bytes: [UInt8], name: String) throws(InputError) -> (source: ByteSource, compression: Compression?) {
        try unwrap(MemoryByteSource(bytes), name: name, decompressAhead: false)
    }

    /// The compressions told apart by the bytes a stream begins with.
    public enum Compression: String, Sendable, CaseIterable {
        case gzip, zstd, xz, bzip2

        /// The compression `head` (a stream's first bytes, up to 6) announces, if any.
        public static func of(_ head: [UInt8]) -> Compression? {
            if head.starts(with: [0x1F, 0x8B]) { return .gzip }
            if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
            if head.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
            // "BZh" and a block size digit.
            if head.count >= 4, head.starts(with: [0x42, 0x5A, 0x68]), (0x31...0x39).contains(head[3]) { return .bzip2 }
            return nil
        }
    }

    /// Puts a decompressor over `source` for every compressed layer its bytes begin with.
    private static func unwrap(_ upstream: ByteSource, name: String, decompressAhead: Bool, maxExpansionRatio: Int? = nil) throws(InputError) -> (source: ByteSource, compression: Compression?) {
        var source = upstream
        var layers = 0
        var outer: Compression?
        while true {
            let head = try ReplayByteSource.peek(source, count: 6)
            source = ReplayByteSource(prefix: head, upstream: source)
            guard let compression = Compression.of(head) else { break }
            if layers == maxNesting {
                throw InputError(.nestingTooDeep, file: name)
            }
            outer = outer ?? compression
            switch compression {
            case .gzip: source = try GzipByteSource(upstream: source, maxExpansionRatio: maxExpansionRatio)
            case .zstd: source = DecompressingByteSource(upstream: source, decoder: try ZstdDecoder(), maxExpansionRatio: maxExpansionRatio)
            case .xz: source = DecompressingByteSource(upstream: source, decoder: try XzDecoder(), maxExpansionRatio: maxExpansionRatio)
            case .bzip2: source = DecompressingByteSource(upstream: source, decoder: try Bzip2Decoder(), maxExpansionRatio: maxExpansionRatio)
            }
            layers += 1
        }
        if layers > 0 {
            return (decompressAhead ? PrefetchingByteSource(inner: source) : source, outer)
        }
        return (source, nil)
    }
}
