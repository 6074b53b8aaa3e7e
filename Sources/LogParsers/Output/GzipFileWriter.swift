import SystemZlib

/// Writes a gzip file through zlib's `gzwrite`, in blocks (sample logs, benchmarks).
public final class GzipFileWriter {
    private let file: gzFile
    private var buffer: [UInt8] = []
    private var failed = false

    public struct WriteError: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "cannot write the gzip file \(path)" }
    }

    private let path: String

    public init(path: String) throws(WriteError) {
        guard let file = gzopen(path, "wb6") else { throw WriteError(path: path) }
        self.file = file
        self.path = path
        buffer.reserveCapacity(1 << 20)
    }

    public func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { flush() }
    }

    private func flush() {
        guard !buffer.isEmpty else { return }
        let written = buffer.withUnsafeBytes { raw in gzwrite(file, raw.baseAddress, UInt32(raw.count)) }
        if written != Int32(buffer.count) { failed = true }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Finishes the file; throws when any write failed.
    public func close() throws(WriteError) {
        flush()
        if gzclose(file) != Z_OK || failed { throw WriteError(path: path) }
    }
}
