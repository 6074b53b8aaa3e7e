import Crypto
import Foundation

/// SHA-256 as lower-case hex: how shipments, rules files, registry imports and bundle
/// files are named and checked.
public enum Digest {
    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 { Hex.string(digest) }

    /// The SHA-256 of bytes in memory.
    public static func sha256<D: DataProtocol>(_ data: D) -> String { hex(SHA256.hash(data: data)) }

    /// Streams a file through SHA-256; returns the digest and the file's size.
    public static func sha256(file path: String) throws -> (hex: String, bytes: Int64) {
        let (digest, total) = try sha256Bytes(file: path)
        return (hex(digest), total)
    }

    /// Streams a file through SHA-256; returns the 32 digest bytes (for `Content-Digest`
    /// fields) and the file's size.
    public static func sha256Bytes(file path: String) throws -> (digest: [UInt8], bytes: Int64) {
        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? input.close() }
        var hasher = SHA256()
        var total: Int64 = 0
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            total += Int64(chunk.count)
        }
        return (Array(hasher.finalize()), total)
    }
}
