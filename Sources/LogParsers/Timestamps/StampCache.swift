import Glibc

/// The timestamp read last at the start of a line, with the bytes it was read from:
/// consecutive lines mostly carry the same second, and the same bytes (followed by the
/// same space) always read as the same stamp, so they are compared instead of parsed.
struct StampCache {
    static let capacity = 32
    private var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var length = 0
    private var stamp = RawTimestamp(year: nil, month: 1, day: 1, hour: 0, minute: 0, second: 0)
    private var anyTag = true

    /// The stamp read from `line` at `at`, if its bytes there are the cached ones followed
    /// by a space: the stamp, whether any tag makes the line a syslog line, and where the
    /// stamp ends.
    @inline(__always)
    func lookup(_ line: UnsafeRawBufferPointer, at: Int) -> (stamp: RawTimestamp, anyTag: Bool, end: Int)? {
        let end = at + length
        guard length > 0, end < line.count, line[end] == 0x20, let base = line.baseAddress else { return nil }
        var same = false
        withUnsafeBytes(of: bytes) { cached in same = memcmp(base + at, cached.baseAddress!, length) == 0 }
        return same ? (stamp, anyTag, end) : nil
    }

    /// Remembers the stamp read from `line[from..<to]` when a space follows it.
    @inline(__always)
    mutating func store(_ line: UnsafeRawBufferPointer, from: Int, to: Int, stamp: RawTimestamp, anyTag: Bool) {
        let count = to - from
        guard count > 0, count <= Self.capacity, to < line.count, line[to] == 0x20, let base = line.baseAddress else {
            length = 0
            return
        }
        withUnsafeMutableBytes(of: &bytes) { cached in cached.baseAddress!.copyMemory(from: base + from, byteCount: count) }
        length = count
        self.stamp = stamp
        self.anyTag = anyTag
    }
}
