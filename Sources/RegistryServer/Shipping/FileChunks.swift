import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A file's bytes from `offset` to its end as a sequence of buffers, read with `pread`
/// (the body of an upload: memory stays at one chunk whatever the file's size).
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let offset: Int64
    let end: Int64
    let chunkSize: Int

    struct ReadFailure: Error, CustomStringConvertible {
        var path: String
        var code: Int32
        var description: String { "cannot read \(path): \(String(cString: strerror(code)))" }
    }

    final class AsyncIterator: AsyncIteratorProtocol {
        let fd: Int32
        let path: String
        var position: Int64
        let end: Int64
        let chunkSize: Int
        let allocator = ByteBufferAllocator()

        init(path: String, offset: Int64, end: Int64, chunkSize: Int) {
            self.path = path
            fd = open(path, O_RDONLY | O_CLOEXEC)
            position = offset
            self.end = end
            self.chunkSize = chunkSize
        }

        deinit { if fd >= 0 { close(fd) } }

        func next() async throws -> ByteBuffer? {
            guard fd >= 0 else { throw ReadFailure(path: path, code: errno) }
            guard position < end else { return nil }
            let want = Int(Swift.min(Int64(chunkSize), end - position))
            var buffer = allocator.buffer(capacity: want)
            let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { pointer in
                pread(fd, pointer.baseAddress, want, off_t(position))
            }
            if n < 0 { throw ReadFailure(path: path, code: errno) }
            if n == 0 { throw ReadFailure(path: path, code: EIO) }  // the file shrank
            position += Int64(n)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(path: path, offset: offset, end: end, chunkSize: chunkSize) }
}
