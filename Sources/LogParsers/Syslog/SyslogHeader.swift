/// The envelope of a syslog line: timestamp, host, program tag and pid, and where the
/// message starts. All ranges index the line.
struct SyslogHeader {
    var stamp: RawTimestamp?
    var host: Range<Int>?
    var tag: Range<Int>
    var pid: Int32?
    /// Index of the message's first byte.
    var message: Int

    /// Parses the header forms seen in MTA logs:
    /// `[<PRI>]TIME [<facility.level>] HOST TAG[PID]: MESSAGE` where TIME is RFC 3164,
    /// RFC 3339 or `YYYY-MM-DD HH:MM:SS`; and, from journal exports, `HOST TAG[PID]: MESSAGE`
    /// with no time (accepted only when `knownTag` says the tag is an MTA's).
    /// - Parameter stampCache: the stamp of the previous line, reused when this line starts
    ///   with the same bytes.
    @inline(__always)
    static func parse(
        _ line: UnsafeRawBufferPointer, stampCache: inout StampCache, knownTag: (UnsafeRawBufferPointer) -> Bool
    ) -> SyslogHeader? {
        var i = 0
        // RFC 3164 wire form starts with <PRI>.
        if line.count > 3, line[0] == UInt8(ascii: "<") {
            var k = 1
            while k < min(line.count, 5), line[k] >= 48, line[k] <= 57 { k += 1 }
            if k > 1, k < line.count, line[k] == UInt8(ascii: ">") { i = k + 1 }
        }
        var stamp: RawTimestamp?
        // A `YYYY-MM-DD HH:MM:SS` stamp starts raw Exim lines too: then only an MTA's tag
        // makes the line a syslog line (`… 1VxPit-000MMd-U4 SA: Action: …` is Exim's).
        var anyTag = true
        var stampEnd = i
        if let hit = stampCache.lookup(line, at: i) {
            stamp = hit.stamp
            anyTag = hit.anyTag
            stampEnd = hit.end
        } else {
            var scanner = TimestampScanner(line, at: i)
            let first = i < line.count ? line[i] : 0
            if first >= 48, first <= 57 {
                stamp = scanner.rfc3339()
                if stamp == nil {
                    scanner.position = i
                    stamp = scanner.isoWithSpace()
                    anyTag = false
                }
            } else {
                stamp = scanner.rfc3164()
            }
            stampEnd = scanner.position
            if let stamp { stampCache.store(line, from: i, to: stampEnd, stamp: stamp, anyTag: anyTag) }
        }
        if stamp != nil {
            i = stampEnd
            guard i < line.count, line[i] == 0x20 else { return nil }
            i = line.skipSpaces(i)
        } else if i != 0 {
            return nil
        } else {
            anyTag = false
        }
        // BSD `<mail.info>` priority names after the time.
        if i < line.count, line[i] == UInt8(ascii: "<"), let close = line.index(of: UInt8(ascii: ">"), from: i, to: min(line.count, i + 32)) {
            i = line.skipSpaces(close + 1)
        }
        // HOST
        let hostEnd = line.tokenEnd(i)
        guard hostEnd > i, hostEnd < line.count else { return nil }
        let host = i..<hostEnd
        // `HOST TAG[PID]:` or `HOST TAG:`; if the token after HOST is no tag, the line may
        // have no host at all (`TIME TAG[PID]:`).
        if let (tag, pid, message) = parseTag(line, at: hostEnd + 1), anyTag || knownTag(line.slice(tag.lowerBound, tag.upperBound)) {
            return SyslogHeader(stamp: stamp, host: host, tag: tag, pid: pid, message: message)
        }
        if stamp != nil, let (tag, pid, message) = parseTag(line, at: i), anyTag || knownTag(line.slice(tag.lowerBound, tag.upperBound)) {
            return SyslogHeader(stamp: stamp, host: nil, tag: tag, pid: pid, message: message)
        }
        return nil
    }

    /// `TAG[PID]: ` or `TAG: ` at `at`; the tag has no spaces, brackets or colons.
    private static func parseTag(_ line: UnsafeRawBufferPointer, at: Int) -> (Range<Int>, Int32?, Int)? {
        var i = at
        let limit = min(line.count, at + 64)
        while i < limit {
            let c = line[i]
            if c == UInt8(ascii: "[") || c == UInt8(ascii: ":") || c == 0x20 { break }
            i += 1
        }
        guard i > at, i < line.count else { return nil }
        let tag = at..<i
        var pid: Int32?
        if line[i] == UInt8(ascii: "[") {
            guard let close = line.index(of: UInt8(ascii: "]"), from: i + 1, to: min(line.count, i + 24)),
                let value = line.decimal(i + 1, close)
            else { return nil }
            pid = Int32(truncatingIfNeeded: value)
            i = close + 1
        }
        guard i < line.count, line[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        if i < line.count, line[i] == 0x20 { i += 1 }
        return (tag, pid, i)
    }
}
