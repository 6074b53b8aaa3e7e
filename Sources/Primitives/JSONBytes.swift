/// Appending JSON values to a byte buffer: strings escaped (control characters, quotes,
/// backslashes) and made valid UTF-8 (invalid sequences become U+FFFD), whatever a log
/// line carries.
public enum JSONBytes {
    @usableFromInline static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    @inlinable
    public static func appendString(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var i = 0
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            if c >= 0x20, c < 0x80, c != UInt8(ascii: "\""), c != UInt8(ascii: "\\") {
                out.append(c)
                i += 1
                continue
            }
            if c < 0x80 {
                switch c {
                case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
                case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
                case 0x0A: out.append(contentsOf: [92, 110])
                case 0x0D: out.append(contentsOf: [92, 114])
                case 0x09: out.append(contentsOf: [92, 116])
                default:
                    out.append(contentsOf: [92, 117, 48, 48])
                    out.append(hex[Int(c >> 4)])
                    out.append(hex[Int(c & 0xF)])
                }
                i += 1
                continue
            }
            let length = validSequenceLength(bytes, i)
            if length == 0 {
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])
                i += 1
            } else {
                for k in 0..<length { out.append(bytes[i + k]) }
                i += length
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    @inlinable
    public static func appendString(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendString(UnsafeRawBufferPointer($0), to: &out) }
    }

    /// Length of the valid UTF-8 sequence starting at `i`, or 0 (RFC 3629: no overlongs,
    /// no surrogates, nothing above U+10FFFF).
    @inlinable
    static func validSequenceLength(_ b: UnsafeRawBufferPointer, _ i: Int) -> Int {
        let c = b[i]
        let n = b.count
        @inline(__always) func cont(_ k: Int) -> Bool { k < n && b[k] & 0xC0 == 0x80 }
        switch c {
        case 0xC2...0xDF:
            return cont(i + 1) ? 2 : 0
        case 0xE0:
            return i + 1 < n && b[i + 1] >= 0xA0 && b[i + 1] <= 0xBF && cont(i + 2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return cont(i + 1) && cont(i + 2) ? 3 : 0
        case 0xED:
            return i + 1 < n && b[i + 1] >= 0x80 && b[i + 1] <= 0x9F && cont(i + 2) ? 3 : 0
        case 0xF0:
            return i + 1 < n && b[i + 1] >= 0x90 && b[i + 1] <= 0xBF && cont(i + 2) && cont(i + 3) ? 4 : 0
        case 0xF1...0xF3:
            return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0
        case 0xF4:
            return i + 1 < n && b[i + 1] >= 0x80 && b[i + 1] <= 0x8F && cont(i + 2) && cont(i + 3) ? 4 : 0
        default:
            return 0
        }
    }

    @inlinable
    public static func appendInteger<T: BinaryInteger>(_ value: T, to out: inout [UInt8]) {
        if value == 0 {
            out.append(48)
            return
        }
        var v = value
        if v < 0 {
            out.append(UInt8(ascii: "-"))
            v = 0 - v
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while v > 0, count < 20 {
                buffer[count] = UInt8(48 + Int(v % 10))
                v /= 10
                count += 1
            }
            for k in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[k]) }
        }
    }

    @inlinable
    public static func appendLiteral(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
