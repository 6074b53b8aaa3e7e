import CZlib

/// Writes a gzip file through zlib's `gzwrite`, in blocks.
final class GzipFileWriter {
    private let file: gzFile
    private var buffer: [UInt8] = []

    init(path: String) throws {
        guard let file = gzopen(path, "wb6") else { throw BenchError("cannot create \(path)") }
        self.file = file
        buffer.reserveCapacity(1 << 20)
    }

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { flush() }
    }

    private func flush() {
        buffer.withUnsafeBytes { raw in
            _ = gzwrite(file, raw.baseAddress, UInt32(raw.count))
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func close() {
        flush()
        gzclose(file)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
