import CFileSync
import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// An upload's bytes on their way to disk: written as they arrive, hashed on the way when
/// asked, written behind in 8 MiB windows, synced before the upload is acknowledged.
struct BodyFile: ~Copyable {
    let path: String
    private let fd: Int32
    private(set) var size: Int64

    struct Failure: Error, CustomStringConvertible {
        var what: String
        var path: String
        var code: Int32
        var description: String { "cannot \(what) \(path): \(String(cString: strerror(code)))" }
    }

    /// Opens `path` for appending (created 0600), or empty when `truncate`.
    init(path: String, truncate: Bool) throws(Failure) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND), 0o600)
        guard fd >= 0 else { throw Failure(what: "open", path: path, code: errno) }
        var info = stat()
        fstat(fd, &info)
        size = Int64(info.st_size)
        started = size
    }

    deinit { close(fd) }

    /// Appends a chunk, written at once: what the server has read is in the file (the page
    /// cache) if the process dies, so a resume starts where the bytes stopped. (Chunks are
    /// as large as the socket gives, up to 64 KiB, so this is one write per read.)
    mutating func append(_ bytes: ByteBuffer) throws(Failure) {
        try bytes.withUnsafeReadableBytes { (raw: UnsafeRawBufferPointer) throws(Failure) in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure(what: "write", path: path, code: errno)
                }
                offset += n
            }
        }
        size += Int64(bytes.readableBytes)
        writeBehind()
    }

    /// Bytes handed to the disk's writeback so far.
    private var started: Int64 = 0
    private static let writeBehindWindow: Int64 = 8 << 20

    /// Starts the writeback of every full 8 MiB written since the last call, and waits for
    /// the window before it: the final `fsync` then has little left to write, and dirty
    /// pages stay bounded whatever the upload's size.
    private mutating func writeBehind() {
        let written = size
        while written - started >= Self.writeBehindWindow {
            _ = abuse_start_writeback(fd, started, Self.writeBehindWindow)
            if started >= Self.writeBehindWindow { _ = abuse_wait_writeback(fd, started - Self.writeBehindWindow, Self.writeBehindWindow) }
            started += Self.writeBehindWindow
        }
    }

    /// Syncs: the bytes are on disk when it returns.
    mutating func sync() throws(Failure) {
        guard fsync(fd) == 0 else { throw Failure(what: "sync", path: path, code: errno) }
    }

    /// Cuts the file back to `length` (a part refused after it was written).
    mutating func truncate(to length: Int64) throws(Failure) {
        guard ftruncate(fd, off_t(length)) == 0 else { throw Failure(what: "truncate", path: path, code: errno) }
        size = length
        started = min(started, length)
    }
}
