
import Glibc

/// Reads a file descriptor with `read(2)`. Owns the descriptor unless it is standard input.
public final class FileByteSource: ByteSource {
    private let fd: Int32
    private let ownsDescriptor: Bool
    public private(set) var bytesProduced: UInt64 = 0

    /// Opens `path` for reading; `-` means standard input.
    public init(path: String) throws(InputError) {
        if path == "-" {
            fd = 0
            ownsDescriptor = false
            return
        }
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else {
            throw InputError(.openFailed, detail: String(cString: strerror(errno)), file: path)
        }
        var info = stat()
        if fstat(opened, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(opened)
            throw InputError(.openFailed, detail: "is a directory", file: path)
        }
        fd = opened
        ownsDescriptor = true
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 {
                bytesProduced += UInt64(n)
                return n
            }
            if errno == EINTR { continue }
            throw InputError(.readFailed, detail: String(cString: strerror(errno)), offset: bytesProduced)
        }
    }
}
