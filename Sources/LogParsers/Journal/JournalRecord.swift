/// One entry of journald's JSON export (`journalctl -o json`, one object per line), the
/// fields a mail log needs: `SYSLOG_IDENTIFIER` (which program, hence which MTA),
/// `_PID`/`SYSLOG_PID`, `_HOSTNAME`, `__REALTIME_TIMESTAMP` (µs since the epoch, UTC) and
/// `MESSAGE`, a string, or an array of byte values when journald found it not UTF-8.
///
/// Read straight off the line's bytes: escapes decoded, every other field skipped whatever
/// it holds; a line that is not such an object gives nil. Bounded by the line.
struct JournalRecord {
    var identifier: [UInt8] = []
    var pid: Int32?
    var host: [UInt8] = []
    var realtimeMicros: Int64?
    var message: [UInt8]?

    /// Whether a line may be a journal export entry (cheap test before decoding).
    static func looksLikeOne(_ line: UnsafeRawBufferPointer) -> Bool {
        line.count > 20 && line[0] == UInt8(ascii: "{")
    }

    init?(_ line: UnsafeRawBufferPointer) {
        var scanner = Scanner(bytes: line)
        guard scanner.take(UInt8(ascii: "{")) else { return nil }
        var first = true
        while true {
            scanner.skipSpace()
            if scanner.take(UInt8(ascii: "}")) { break }
            if !first { guard scanner.take(UInt8(ascii: ",")) else { return nil } }
            first = false
            scanner.skipSpace()
            guard let key = scanner.string() else { return nil }
            scanner.skipSpace()
            guard scanner.take(UInt8(ascii: ":")) else { return nil }
            scanner.skipSpace()
            switch key {
            case Array("MESSAGE".utf8):
                if scanner.peek == UInt8(ascii: "\"") {
                    guard let text = scanner.string() else { return nil }
                    message = text
                } else if scanner.peek == UInt8(ascii: "[") {
                    guard let bytes = scanner.byteArray() else { return nil }
                    message = bytes
                } else {
                    guard scanner.skipValue() else { return nil }
                }
            case Array("SYSLOG_IDENTIFIER".utf8):
                guard let text = scanner.string() else { return nil }
                identifier = text
            case Array("_HOSTNAME".utf8):
                guard let text = scanner.string() else { return nil }
                host = text
            case Array("_PID".utf8), Array("SYSLOG_PID".utf8):
                guard let text = scanner.string() else { return nil }
                if pid == nil || key == Array("SYSLOG_PID".utf8) { pid = Self.integer(text).flatMap { Int32(exactly: $0) } }
            case Array("__REALTIME_TIMESTAMP".utf8):
                guard let text = scanner.string() else { return nil }
                realtimeMicros = Self.integer(text)
            default:
                guard scanner.skipValue() else { return nil }
            }
        }
        guard realtimeMicros != nil, message != nil, !identifier.isEmpty else { return nil }
    }

    static func integer(_ digits: [UInt8]) -> Int64? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value: Int64 = 0
        for d in digits {
            guard d >= 0x30, d <= 0x39 else { return nil }
            value = value * 10 + Int64(d - 0x30)
        }
        return value
    }

    /// A cursor over JSON text.
    struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var position = 0
        /// Nesting allowed in skipped values.
        static let maxDepth = 32

        var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            position += 1
            return true
        }

        mutating func skipSpace() {
            while let b = peek, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { position += 1 }
        }

        /// A JSON string, its escapes decoded, as UTF-8 bytes.
        mutating func string() -> [UInt8]? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            var out: [UInt8] = []
            while let b = peek {
                position += 1
                switch b {
                case UInt8(ascii: "\""):
                    return out
                case UInt8(ascii: "\\"):
                    guard let e = peek else { return nil }
                    position += 1
                    switch e {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        guard var scalar = hex4() else { return nil }
                        if (0xD800..<0xDC00).contains(scalar) {
                            // A surrogate pair; a lone half becomes U+FFFD.
                            if take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hex4(), (0xDC00..<0xE000).contains(low) {
                                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                scalar = 0xFFFD
                            }
                        } else if (0xDC00..<0xE000).contains(scalar) {
                            scalar = 0xFFFD
                        }
                        out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
                    default: out.append(e)  // \" \\ \/
                    }
                default:
                    out.append(b)
                }
            }
            return nil
        }

        private mutating func hex4() -> UInt32? {
            guard position + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[position]
                position += 1
                let digit: UInt32
                switch b {
                case 0x30...0x39: digit = UInt32(b - 0x30)
                case 0x41...0x46: digit = UInt32(b - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(b - 0x61 + 10)
                default: return nil
                }
                value = value << 4 | digit
            }
            return value
        }

        /// `[72, 101, …]`: journald's form of a message that is not UTF-8.
        mutating func byteArray() -> [UInt8]? {
            guard take(UInt8(ascii: "[")) else { return nil }
            var out: [UInt8] = []
            skipSpace()
            if take(UInt8(ascii: "]")) { return out }
            while true {
                skipSpace()
                var value = 0
                var digits = 0
                while let b = peek, b >= 0x30, b <= 0x39, digits < 4 {
                    value = value * 10 + Int(b - 0x30)
                    digits += 1
                    position += 1
                }
                guard digits > 0, value <= 255 else { return nil }
                out.append(UInt8(value))
                skipSpace()
                if take(UInt8(ascii: "]")) { return out }
                guard take(UInt8(ascii: ",")) else { return nil }
            }
        }

        /// Skips any JSON value (strings, numbers, literals, arrays, objects), bounded in depth.
        mutating func skipValue(depth: Int = 0) -> Bool {
            guard depth < Self.maxDepth, let b = peek else { return false }
            switch b {
            case UInt8(ascii: "\""):
                return string() != nil
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                let close = b == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: "}")
                position += 1
                skipSpace()
                if take(close) { return true }
                while true {
                    skipSpace()
                    if close == UInt8(ascii: "}") {
                        guard string() != nil else { return false }
                        skipSpace()
                        guard take(UInt8(ascii: ":")) else { return false }
                        skipSpace()
                    }
                    guard skipValue(depth: depth + 1) else { return false }
                    skipSpace()
                    if take(close) { return true }
                    guard take(UInt8(ascii: ",")) else { return false }
                }
            default:
                // Numbers and literals: up to the next delimiter.
                let start = position
                while let c = peek, c != UInt8(ascii: ","), c != UInt8(ascii: "}"), c != UInt8(ascii: "]"), c != 0x20 { position += 1 }
                return position > start
            }
        }
    }
}
