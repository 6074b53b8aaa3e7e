import Glibc

/// One line of input, valid only during the callback that receives it.
public struct LineSlice {
    /// The line's bytes without its `\n` (and without a `\r` before it).
    public var bytes: UnsafeRawBufferPointer
    /// 1-based line number.
    public var number: Int
    /// Byte offset of the line's first byte in the uncompressed stream.
    public var offset: UInt64
    /// True when the line was longer than the limit: `bytes` holds only its beginning.
    public var isTruncated: Bool
}

/// Splits a byte source into lines with `memchr`, reusing one buffer: no allocation per
/// line, and memory bounded by `maxLineLength` however long a line is.
public final class LineReader {
    public static let defaultMaxLineLength = 64 * 1024

    private let source: ByteSource
    private let maxLineLength: Int
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var lineNumber = 0
    private var offset: UInt64 = 0
    private var sourceEnded = false

    public init(source: ByteSource, maxLineLength: Int = LineReader.defaultMaxLineLength) {
        self.source = source
        self.maxLineLength = max(maxLineLength, 256)
        buffer = .allocate(byteCount: max(1 << 20, 4 * self.maxLineLength), alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Lines delivered so far.
    public var linesRead: Int { lineNumber }
    /// Bytes consumed so far (the offset after the last delivered line).
    public var bytesRead: UInt64 { offset }

    /// Calls `body` for every line until the end of the source. Throws the source's error
    /// after delivering every complete line before it.
    public func forEachLine(_ body: (LineSlice) -> Void) throws(InputError) {
        let base = buffer.baseAddress!
        var discarding = false
        while true {
            // Deliver every complete line in the window.
            while start < end {
                let found = memchr(base + start, 0x0A, end - start)
                guard let found else { break }
                let newline = base.distance(to: UnsafeMutableRawPointer(found))
                if discarding {
                    discarding = false
                    offset += UInt64(newline + 1 - start)
                    start = newline + 1
                    continue
                }
                if newline - start > maxLineLength {
                    deliver(from: start, to: start + maxLineLength, truncated: true, body)
                } else {
                    deliver(from: start, to: newline, truncated: false, body)
                }
                offset += UInt64(newline + 1 - start)
                start = newline + 1
            }
            if discarding {
                offset += UInt64(end - start)
                start = 0
                end = 0
            } else if end - start >= maxLineLength {
                // An oversized line: deliver its beginning once, then skip to its end.
                deliver(from: start, to: start + maxLineLength, truncated: true, body)
                offset += UInt64(end - start)
                start = 0
                end = 0
                discarding = true
            }
            if sourceEnded {
                if start < end, !discarding {
                    deliver(from: start, to: end, truncated: false, body)
                    offset += UInt64(end - start)
                }
                start = 0
                end = 0
                return
            }
            if start > 0 {
                if end > start { memmove(base, base + start, end - start) }
                end -= start
                start = 0
            }
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
            if n == 0 { sourceEnded = true } else { end += n }
        }
    }

    @inline(__always)
    private func deliver(from: Int, to: Int, truncated: Bool, _ body: (LineSlice) -> Void) {
        var stop = to
        if !truncated, stop > from, buffer[stop - 1] == 0x0D { stop -= 1 }
        lineNumber += 1
        body(
            LineSlice(
                bytes: UnsafeRawBufferPointer(rebasing: buffer[from..<stop]),
                number: lineNumber,
                offset: offset,
                isTruncated: truncated
            )
        )
    }
}
