/// Formats and parses the UTC ISO 8601 times of FORMATS.md (`2026-11-28T03:14:15Z`).
public enum ISOTime {
    /// `YYYY-MM-DDTHH:MM:SS[.mmm]Z` for milliseconds since the epoch.
    public static func format(millis: Int64, fraction: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        append(millis: millis, fraction: fraction, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS[.mmm]Z` to `out`.
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

    @inline(__always)
    private static func appendDigits(_ value: Int, _ width: Int, _ out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var v = value
        if v < 0 { v = 0 }
        while divisor > 0 {
            out.append(UInt8(48 + (v / divisor) % 10))
            divisor /= 10
        }
    }

    /// Parses a command-line time: `2026-11-28T03:14:15Z`, with a fraction or an offset
    /// (`+01:00`), or a bare date (`2026-11-28`, meaning midnight UTC). Returns milliseconds.
    public static func parse(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { utf8 -> Int64? in
            let raw = UnsafeRawBufferPointer(utf8)
            if raw.count == 10, let days = TimestampScanner.isoDate(raw, 0) {
                return Int64(days) * 86_400_000
            }
            var scan = TimestampScanner(raw, at: 0)
            guard let stamp = scan.rfc3339(requireOffset: true), scan.position == raw.count else { return nil }
            return stamp.utcMillis
        }
    }
}
