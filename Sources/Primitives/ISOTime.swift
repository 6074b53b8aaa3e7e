/// Formats and parses the UTC ISO 8601 times of FORMATS.md (`2026-11-28T03:14:15Z`).
public enum ISOTime {
    /// `YYYY-MM-DDTHH:MM:SS[.mmm]Z` for milliseconds since the epoch.
    @inlinable
    public static func format(millis: Int64, fraction: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        append(millis: millis, fraction: fraction, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS[.mmm]Z` to `out`.
    @inlinable
    public static func append(millis: Int64, fraction: Bool, to out: inout [UInt8]) {
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let ms = Int(millis - seconds * 1000)
        let days = Int(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400)
        let secondOfDay = Int(seconds - Int64(days) * 86400)
        let date = CivilTime.date(days: days)
        appendDigits(date.year, 4, &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(date.month, 2, &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(date.day, 2, &out)
        out.append(UInt8(ascii: "T"))
        appendDigits(secondOfDay / 3600, 2, &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay / 60 % 60, 2, &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, 2, &out)
        if fraction {
            out.append(UInt8(ascii: "."))
            appendDigits(ms, 3, &out)
        }
        out.append(UInt8(ascii: "Z"))
    }

    @inlinable
    static func appendDigits(_ value: Int, _ width: Int, _ out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var v = value
        if v < 0 { v = 0 }
        while divisor > 0 {
            out.append(UInt8(48 + (v / divisor) % 10))
            divisor /= 10
        }
    }

    /// Parses a command-line time: `2026-11-28T03:14:15Z`, with a fraction (`.250`) or an
    /// offset (`+01:00`, `-0530`), or a bare date (`2026-11-28`, meaning midnight UTC).
    /// Returns milliseconds since the epoch; nil for anything else (a time without a zone
    /// is ambiguous).
    public static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at >= 0, at + count <= b.count else { return nil }
            var value = 0
            for i in at..<at + count {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                value = value * 10 + Int(b[i] - 48)
            }
            return value
        }
        guard let year = digits(0, 4), b.count >= 10, b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
            let day = digits(8, 2), (1...12).contains(month), day >= 1, day <= CivilTime.daysIn(month: month, year: year)
        else { return nil }
        let days = Int64(CivilTime.days(year: year, month: month, day: day))
        if b.count == 10 { return days * 86_400_000 }
        guard b.count >= 20, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"), let hour = digits(11, 2), b[13] == UInt8(ascii: ":"),
            let minute = digits(14, 2), b[16] == UInt8(ascii: ":"), let second = digits(17, 2), hour < 24, minute < 60, second <= 60
        else { return nil }
        var i = 19
        var millis = 0
        if b[i] == UInt8(ascii: ".") {
            i += 1
            var n = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if n < 3 { millis = millis * 10 + Int(b[i] - 48) }
                n += 1
                i += 1
            }
            guard n > 0 else { return nil }
            while n < 3 {
                millis *= 10
                n += 1
            }
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            guard let hours = digits(i + 1, 2), hours < 24 else { return nil }
            var minutes: Int?
            if i + 3 < b.count, b[i + 3] == UInt8(ascii: ":") {
                minutes = digits(i + 4, 2)
                i += 6
            } else {
                minutes = digits(i + 3, 2)
                i += 5
            }
            guard let minutes, minutes < 60 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offset)
        return seconds * 1000 + Int64(millis)
    }
}
