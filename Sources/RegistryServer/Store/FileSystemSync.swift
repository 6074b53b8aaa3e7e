import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Durable file moves: what `rename` promised survives a crash once these return.
enum FileSystemSync {
    struct Failure: Error, CustomStringConvertible {
        var what: String
        var path: String
        var code: Int32
        var description: String { "\(what) \(path): \(String(cString: strerror(code)))" }
    }

    /// Renames `source` to `destination` (same filesystem) and syncs the destination's
    /// folder, so the new name is on disk.
    static func rename(_ source: URL, to destination: URL) throws {
        guard Glibc.rename(source.path, destination.path) == 0 else { throw Failure(what: "cannot move the upload to", path: destination.path, code: errno) }
        try syncFolder(destination.deletingLastPathComponent())
    }

    static func syncFolder(_ folder: URL) throws {
        let fd = open(folder.path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw Failure(what: "cannot open", path: folder.path, code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(what: "cannot sync", path: folder.path, code: errno) }
    }

    /// Free bytes for an unprivileged writer on the filesystem that holds `path`.
    static func freeBytes(at path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}
