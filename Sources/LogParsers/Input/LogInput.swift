/// Opens a log for reading: a path or `-` for standard input, plain or gzip, told apart by
/// the magic bytes `1f 8b`, never by the name. A file compressed twice (or three times) is
/// unwrapped layer by layer.
public enum LogInput {
    static let maxNesting = 3

    /// Opens `path` and returns a source of its uncompressed bytes, and whether it was gzip.
    /// - Parameters:
    ///   - observer: sees the file's bytes as stored, each once and in order, as they are
    ///     read (on the decompressing thread when it runs ahead).
    ///   - decompressAhead: inflate gzip on a thread of its own (`PrefetchingByteSource`).
    public static func open(
        path: String, observer: (@Sendable (UnsafeRawBufferPointer) -> Void)? = nil, decompressAhead: Bool = true, maxExpansionRatio: Int? = nil
    ) throws(InputError) -> (
        source: ByteSource, compressed: Bool
    ) {
        var source: ByteSource = try FileByteSource(path: path)
        if let observer { source = ObservingByteSource(upstream: source, observer: observer) }
        return try unwrap(source, name: path, decompressAhead: decompressAhead, maxExpansionRatio: maxExpansionRatio)
    }

    /// Bytes already in memory, read as a file is (gzip layers unwrapped): for fuzzing the
    /// readers, and for tests.
    package static func open(bytes: [UInt8], name: String) throws(InputError) -> (source: ByteSource, compressed: Bool) {
        try unwrap(MemoryByteSource(bytes), name: name, decompressAhead: false)
    }

    /// Puts a gzip reader over `source` for every gzip layer its bytes begin with.
    private static func unwrap(_ upstream: ByteSource, name: String, decompressAhead: Bool, maxExpansionRatio: Int? = nil) throws(InputError) -> (source: ByteSource, compressed: Bool) {
        var source = upstream
        var layers = 0
        while true {
            let head = try ReplayByteSource.peek(source, count: 2)
            source = ReplayByteSource(prefix: head, upstream: source)
            guard head.count == 2, head[0] == 0x1F, head[1] == 0x8B else { break }
            if layers == maxNesting {
                throw InputError(.nestingTooDeep, file: name)
            }
            source = try GzipByteSource(upstream: source, maxExpansionRatio: maxExpansionRatio)
            layers += 1
        }
        if layers > 0 {
            return (decompressAhead ? PrefetchingByteSource(inner: source) : source, true)
        }
        return (source, false)
    }
}
