import Glibc

/// Buffered writes to a file descriptor (standard output by default), in large blocks.
public final class BufferedOutput {
    private let fd: Int32
    public var buffer: [UInt8] = []
    private let threshold: Int
    /// Set when a write failed (a closed pipe, a full disk); later writes are dropped.
    public private(set) var failed = false

    public init(fd: Int32 = 1, threshold: Int = 256 * 1024) {
        self.fd = fd
        self.threshold = threshold
        buffer.reserveCapacity(threshold + 64 * 1024)
    }

    /// Writes the buffer out when it has grown past the threshold.
    @inline(__always)
    public func flushIfFull() {
        if buffer.count >= threshold { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        if !failed {
            buffer.withUnsafeBytes { raw in
                var written = 0
                while written < raw.count {
                    let n = write(fd, raw.baseAddress! + written, raw.count - written)
                    if n < 0 {
                        if errno == EINTR { continue }
                        failed = true
                        return
                    }
                    written += n
                }
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}
