import Glibc

/// Byte-level searching used by every parser: `memchr`/`memmem` over the line, no Strings.
extension UnsafeRawBufferPointer {
    /// Index of the first `byte` in `from..<to`.
    @inline(__always)
    func index(of byte: UInt8, from: Int, to: Int? = nil) -> Int? {
        let stop = to ?? count
        guard from < stop, let base = baseAddress else { return nil }
        guard let found = memchr(base + from, Int32(byte), stop - from) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// Index of the last `byte` in `from..<to`.
    @inline(__always)
    func lastIndex(of byte: UInt8, from: Int = 0, to: Int? = nil) -> Int? {
        var i = (to ?? count) - 1
        while i >= from {
            if self[i] == byte { return i }
            i -= 1
        }
        return nil
    }

    /// Index of the first occurrence of `needle` in `from..<to`.
    @inline(__always)
    func find(_ needle: StaticString, from: Int, to: Int? = nil) -> Int? {
        let stop = to ?? count
        let n = needle.utf8CodeUnitCount
        guard from <= stop, stop - from >= n, let base = baseAddress else { return nil }
        let first = Int32(needle.utf8Start[0])
        let needleBase = UnsafeRawPointer(needle.utf8Start)
        var i = from
        let last = stop - n
        // memchr for the first byte, then compare the rest.
        while i <= last {
            guard let hit = memchr(base + i, first, last - i + 1) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + at, needleBase, n) == 0 { return at }
            i = at + 1
        }
        return nil
    }

    /// Index of the last occurrence of `needle` in `from..<to`.
    func findLast(_ needle: StaticString, from: Int = 0, to: Int? = nil) -> Int? {
        var result: Int?
        var at = from
        while let i = find(needle, from: at, to: to) {
            result = i
            at = i + 1
        }
        return result
    }

    /// Whether `needle` occurs at `at`.
    @inline(__always)
    func matches(_ needle: StaticString, at: Int) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard at >= 0, at + n <= count, let base = baseAddress else { return false }
        return memcmp(base + at, needle.utf8Start, n) == 0
    }

    /// Whether `needle` occurs at `at`, ignoring ASCII case (`needle` must be lower case).
    func matchesIgnoringCase(_ needle: StaticString, at: Int) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard at >= 0, at + n <= count else { return false }
        let p = needle.utf8Start
        for k in 0..<n {
            var c = self[at + k]
            if c >= 65, c <= 90 { c |= 0x20 }
            if c != p[k] { return false }
        }
        return true
    }

    /// Index of the first occurrence of `needle` ignoring ASCII case (`needle` lower case).
    func findIgnoringCase(_ needle: StaticString, from: Int, to: Int? = nil) -> Int? {
        let stop = to ?? count
        let n = needle.utf8CodeUnitCount
        guard n > 0, stop - from >= n else { return nil }
        let first = needle.utf8Start[0]
        let upper = first >= 97 && first <= 122 ? first - 32 : first
        var i = from
        while i <= stop - n {
            let c = self[i]
            if (c == first || c == upper), matchesIgnoringCase(needle, at: i) { return i }
            i += 1
        }
        return nil
    }

    /// A sub-view `from..<to`.
    @inline(__always)
    func slice(_ from: Int, _ to: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[from..<to])
    }

    /// Index after a run of spaces starting at `at`.
    @inline(__always)
    func skipSpaces(_ at: Int) -> Int {
        var i = at
        while i < count, self[i] == 0x20 { i += 1 }
        return i
    }

    /// End of the token starting at `at` (the next space or the end).
    @inline(__always)
    func tokenEnd(_ at: Int) -> Int {
        index(of: 0x20, from: at) ?? count
    }

    /// Parses an unsigned decimal at `at..<to`.
    func decimal(_ at: Int, _ to: Int) -> Int? {
        guard at < to, to - at <= 18 else { return nil }
        var v = 0
        for i in at..<to {
            let c = self[i]
            guard c >= 48, c <= 57 else { return nil }
            v = v * 10 + Int(c - 48)
        }
        return v
    }
}
