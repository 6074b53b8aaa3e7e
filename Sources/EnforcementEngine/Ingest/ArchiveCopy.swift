import Crypto
import Foundation
import Glibc
import Primitives
import Synchronization

/// A shipped file's archive copy, written while the file is parsed (one read of the file
/// for both): every byte goes through SHA-256 and, unless the archive holds the file
/// already, into a temporary file in `archive/.incoming/` (locked while it is written, so
/// that a copy left by a killed process is recognised and removed: `LogArchive.sweep`).
/// `commit` checks that the bytes seen are the bytes identified before parsing, makes the
/// copy durable (fsync) and renames it into place; `discard` removes it.
///
/// `write` is called by the parser's reading thread; `commit` and `discard` after parsing
/// returned, on the caller's thread. The lock orders the two.
public final class ArchiveCopy: Sendable {
    private struct State {
        var hasher = SHA256()
        var descriptor: Int32 = -1
        var temporary: String?
        var bytes: Int64 = 0
        var failure: String?
    }

    private let archive: LogArchive
    private let sha256: String
    private let state: Mutex<State>

    init(archive: LogArchive, sha256: String) throws {
        self.archive = archive
        self.sha256 = sha256
        var initial = State()
        if archive.existing(sha256: sha256) == nil {
            let folder = archive.path(sha256: sha256, compressed: true).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: archive.incoming, withIntermediateDirectories: true)
            let temporary = archive.incoming.appendingPathComponent("\(sha256).\(UUID().uuidString).tmp").path
            let descriptor = try Self.createLocked(temporary)
            initial.descriptor = descriptor
            initial.temporary = temporary
        }
        state = Mutex(initial)
    }

    deinit { discard() }

    /// Creates `path` and locks it. The lock is held until the copy is renamed into place
    /// or removed; the kernel drops it when the process dies, which is how a sweep tells a
    /// dead writer's copy. A sweep in another process may unlink the file between its
    /// creation and the lock: the name then no longer leads to the locked file, and the
    /// file is made again.
    private static func createLocked(_ path: String) throws -> Int32 {
        for _ in 0..<8 {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw LogArchive.ArchiveError.cannotWrite(path: path, cause: String(cString: strerror(errno))) }
            _ = flock(descriptor, LOCK_EX)
            var opened = stat()
            var named = stat()
            if fstat(descriptor, &opened) == 0, stat(path, &named) == 0, opened.st_ino == named.st_ino, opened.st_dev == named.st_dev {
                return descriptor
            }
            close(descriptor)
        }
        throw LogArchive.ArchiveError.cannotWrite(path: path, cause: "removed by another process as it was made, eight times")
    }

    /// Bytes of the file taken so far.
    public var bytesSeen: Int64 { state.withLock { $0.bytes } }

    /// Takes the next bytes of the file.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        state.withLock { s in
            s.hasher.update(bufferPointer: bytes)
            s.bytes += Int64(bytes.count)
            guard s.descriptor >= 0, s.failure == nil else { return }
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(s.descriptor, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    s.failure = String(cString: strerror(errno))
                    return
                }
                done += n
            }
        }
    }

    /// Checks the digest of the bytes written and puts the copy in place, named after its
    /// compression (`compression`: `gzip`, `zstd`, `xz`, `bzip2`; or `.gz` when only
    /// `compressed` is known). Throws when the file changed since it was identified or the
    /// copy cannot be written; nothing is left behind then.
    @discardableResult
    public func commit(path source: String, compressed: Bool, compression: String? = nil) throws -> URL {
        let target = archive.path(sha256: sha256, compression: compression ?? (compressed ? "gzip" : nil))
        let outcome: Result<String?, LogArchive.ArchiveError> = state.withLock { s in
            if Digest.hex(s.hasher.finalize()) != sha256 { return .failure(.changedWhileReading(path: source)) }
            guard let temporary = s.temporary else { return .success(nil) }
            if let failure = s.failure { return .failure(.cannotWrite(path: temporary, cause: failure)) }
            if fsync(s.descriptor) != 0 {
                return .failure(.cannotWrite(path: temporary, cause: String(cString: strerror(errno))))
            }
            // Renamed while the lock is still held: a sweep in another process may only
            // remove the copy once it is unlocked, and by then it has its final name.
            guard rename(temporary, target.path) == 0 else {
                return .failure(.cannotWrite(path: target.path, cause: String(cString: strerror(errno))))
            }
            s.temporary = nil
            close(s.descriptor)  // after fsync, nothing is left for close to report
            s.descriptor = -1
            return .success(temporary)
        }
        switch outcome {
        case .failure(let error):
            discard()
            throw error
        case .success(nil):
            return archive.existing(sha256: sha256) ?? target
        case .success:
            return target
        }
    }

    /// Removes the temporary copy, if any.
    public func discard() {
        state.withLock { s in
            if s.descriptor >= 0 { close(s.descriptor) }
            s.descriptor = -1
            if let temporary = s.temporary { unlink(temporary) }
            s.temporary = nil
        }
    }
}
