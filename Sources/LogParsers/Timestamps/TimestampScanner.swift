import Primitives
/// Reads the timestamp forms MTA logs use from raw bytes, advancing `position`.
///
/// - RFC 3164: `Nov  8 03:14:15`, `Nov 8 03:14:15` (no year)
/// - RFC 3339: `2026-11-28T03:14:15.123456+01:00` (rsyslog high precision, journald short-iso)
/// - Exim and syslog-ng: `2026-11-28 03:14:15[.mmm][ +0100]`
struct TimestampScanner {
    let bytes: UnsafeRawBufferPointer
    var position: Int

    init(_ bytes: UnsafeRawBufferPointer, at position: Int) {
        self.bytes = bytes
        self.position = position
    }

    @inline(__always)
    private func byte(_ i: Int) -> UInt8 { i < bytes.count ? bytes[i] : 0 }

    @inline(__always)
    private func digits(_ at: Int, _ count: Int) -> Int? {
        guard at + count <= bytes.count else { return nil }
        var value = 0
        for i in at..<(at + count) {
            let c = bytes[i]
            guard c >= 48, c <= 57 else { return nil }
            value = value * 10 + Int(c - 48)
        }
        return value
    }

    /// `YYYY-MM-DD` at `at`, as days since the epoch, validated.
    static func isoDate(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> Int? {
        let scanner = TimestampScanner(bytes, at: at)
        guard let (y, m, d) = scanner.dateFields(at) else { return nil }
        return CivilTime.days(year: y, month: m, day: d)
    }

    private func dateFields(_ at: Int) -> (Int, Int, Int)? {
        guard let y = digits(at, 4), byte(at + 4) == UInt8(ascii: "-"), let m = digits(at + 5, 2),
            byte(at + 7) == UInt8(ascii: "-"), let d = digits(at + 8, 2),
            m >= 1, m <= 12, d >= 1, d <= CivilTime.daysIn(month: m, year: y)
        else { return nil }
        return (y, m, d)
    }

    private func clock(_ at: Int) -> (Int, Int, Int)? {
        guard let h = digits(at, 2), byte(at + 2) == UInt8(ascii: ":"), let mi = digits(at + 3, 2),
            byte(at + 5) == UInt8(ascii: ":"), let s = digits(at + 6, 2),
            h < 24, mi < 60, s <= 60
        else { return nil }
        return (h, mi, min(s, 59))
    }

    /// Parses `.ffffff` at `position` into milliseconds, if present.
    private mutating func fraction(into stamp: inout RawTimestamp) {
        guard byte(position) == UInt8(ascii: "."), byte(position + 1) >= 48, byte(position + 1) <= 57 else { return }
        var i = position + 1
        var ms = 0
        var n = 0
        while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
            if n < 3 { ms = ms * 10 + Int(bytes[i] - 48) }
            n += 1
            i += 1
        }
        while n < 3 {
            ms *= 10
            n += 1
        }
        stamp.millis = ms
        stamp.hasFraction = true
        position = i
    }

    /// `Mmm dd HH:MM:SS` (day space-padded or not).
    mutating func rfc3164() -> RawTimestamp? {
        let p = position
        guard p + 14 <= bytes.count, let month = Self.month(byte(p), byte(p + 1), byte(p + 2)),
            byte(p + 3) == UInt8(ascii: " ")
        else { return nil }
        var i = p + 4
        if byte(i) == UInt8(ascii: " ") { i += 1 }
        var day = 0
        var n = 0
        while n < 2, byte(i) >= 48, byte(i) <= 57 {
            day = day * 10 + Int(byte(i) - 48)
            i += 1
            n += 1
        }
        guard n > 0, day >= 1, day <= 31, byte(i) == UInt8(ascii: " "), let (h, mi, s) = clock(i + 1) else {
            return nil
        }
        position = i + 9
        var stamp = RawTimestamp(year: nil, month: month, day: day, hour: h, minute: mi, second: s)
        fraction(into: &stamp)
        return stamp
    }

    /// `YYYY-MM-DDTHH:MM:SS[.f][Z|±HH:MM]`; with `requireOffset`, the zone is mandatory.
    mutating func rfc3339(requireOffset: Bool = false) -> RawTimestamp? {
        let p = position
        guard let (y, m, d) = dateFields(p), byte(p + 10) == UInt8(ascii: "T"), let (h, mi, s) = clock(p + 11) else {
            return nil
        }
        var stamp = RawTimestamp(year: y, month: m, day: d, hour: h, minute: mi, second: s)
        position = p + 19
        fraction(into: &stamp)
        let z = byte(position)
        if z == UInt8(ascii: "Z") || z == UInt8(ascii: "z") {
            stamp.offsetSeconds = 0
            position += 1
        } else if z == UInt8(ascii: "+") || z == UInt8(ascii: "-"), let offset = zoneOffset(position) {
            stamp.offsetSeconds = offset.seconds
            position += offset.length
        } else if requireOffset {
            return nil
        }
        return stamp
    }

    /// `YYYY-MM-DD HH:MM:SS[.f][ ±HHMM]` as Exim and syslog-ng write it.
    mutating func isoWithSpace() -> RawTimestamp? {
        let p = position
        guard let (y, m, d) = dateFields(p), byte(p + 10) == UInt8(ascii: " "), let (h, mi, s) = clock(p + 11) else {
            return nil
        }
        var stamp = RawTimestamp(year: y, month: m, day: d, hour: h, minute: mi, second: s)
        position = p + 19
        fraction(into: &stamp)
        if byte(position) == UInt8(ascii: " "), byte(position + 1) == UInt8(ascii: "+") || byte(position + 1) == UInt8(ascii: "-"),
            let offset = zoneOffset(position + 1), offset.length == 5
        {
            stamp.offsetSeconds = offset.seconds
            position += 1 + offset.length
        }
        return stamp
    }

    /// `±HH:MM` or `±HHMM` at `at`.
    private func zoneOffset(_ at: Int) -> (seconds: Int, length: Int)? {
        let sign = byte(at) == UInt8(ascii: "-") ? -1 : 1
        guard let h = digits(at + 1, 2), h <= 23 else { return nil }
        if byte(at + 3) == UInt8(ascii: ":"), let m = digits(at + 4, 2), m < 60 {
            return (sign * (h * 3600 + m * 60), 6)
        }
        if let m = digits(at + 3, 2), m < 60 {
            return (sign * (h * 3600 + m * 60), 5)
        }
        return nil
    }

    /// Month number from a three-letter English abbreviation, case-insensitive.
    static func month(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int? {
        let key = (UInt32(a | 0x20) << 16) | (UInt32(b | 0x20) << 8) | UInt32(c | 0x20)
        switch key {
        case 0x6A616E: return 1  // jan
        case 0x666562: return 2  // feb
        case 0x6D6172: return 3  // mar
        case 0x617072: return 4  // apr
        case 0x6D6179: return 5  // may
        case 0x6A756E: return 6  // jun
        case 0x6A756C: return 7  // jul
        case 0x617567: return 8  // aug
        case 0x736570: return 9  // sep
        case 0x6F6374: return 10  // oct
        case 0x6E6F76: return 11  // nov
        case 0x646563: return 12  // dec
        default: return nil
        }
    }
}
