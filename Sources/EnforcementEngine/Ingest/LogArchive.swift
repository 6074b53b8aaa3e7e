import Foundation
import Glibc

/// Shipped files kept byte for byte, content-addressed under the data folder
/// (`archive/ab/abcdef….gz`), so that evidence can be re-read later.
public struct LogArchive: Sendable {
    public let folder: URL

    public init(dataFolder: URL) {
        folder = dataFolder.appendingPathComponent("archive")
    }

    /// Where copies are written before they are complete (`ArchiveCopy`).
    public var incoming: URL { folder.appendingPathComponent(".incoming") }

    /// Removes copies left in `incoming` by writers that died (kill -9, power loss): those
    /// whose lock nobody holds. Copies being written by a live process stay. Returns how
    /// many were removed.
    @discardableResult
    public func sweep() -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: incoming.path) else { return 0 }
        var removed = 0
        for name in names where name.hasSuffix(".tmp") {
            let path = incoming.appendingPathComponent(name).path
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0, unlink(path) == 0 { removed += 1 }
            close(descriptor)
        }
        return removed
    }

    /// Where the file with this digest lives: the shipped bytes as they came, named after
    /// their compression (`.gz`, `.zst`, `.xz`, `.bz2`; `.log` when plain).
    public func path(sha256: String, compression: String?) -> URL {
        let suffix = compression.flatMap { Self.suffixes[$0] } ?? (compression == nil ? ".log" : ".gz")
        return folder.appendingPathComponent(String(sha256.prefix(2))).appendingPathComponent(sha256 + suffix)
    }

    /// Where a gzip (`compressed`) or plain file with this digest lives.
    public func path(sha256: String, compressed: Bool) -> URL { path(sha256: sha256, compression: compressed ? "gzip" : nil) }

    static let suffixes = ["gzip": ".gz", "zstd": ".zst", "xz": ".xz", "bzip2": ".bz2"]

    /// The archived file of a digest, whichever extension it has.
    public func existing(sha256: String) -> URL? {
        ([nil] + Self.suffixes.keys.sorted()).map { path(sha256: sha256, compression: $0) }.first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// A copy of the file identified by `sha256`, to be written while it is read
    /// (`ArchiveCopy`): only hashed when the archive holds that file already.
    public func copy(sha256: String) throws -> ArchiveCopy {
        try ArchiveCopy(archive: self, sha256: sha256)
    }

    public enum ArchiveError: Error, Equatable, CustomStringConvertible {
        /// The copy could not be written (full disk, permissions): what, and why.
        case cannotWrite(path: String, cause: String)
        /// The shipped file's bytes are no longer those it was identified by.
        case changedWhileReading(path: String)

        public var description: String {
            switch self {
            case .cannotWrite(let path, let cause): "cannot write the archive copy \(path): \(cause)"
            case .changedWhileReading(let path): "\(path) changed while it was being archived"
            }
        }
    }
}
