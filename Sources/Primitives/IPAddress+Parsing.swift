extension IPAddress {
    /// Parses an address from raw bytes; `nil` unless the whole buffer is one address.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> IPAddress? {
        var start = 0
        var end = bytes.count
        guard end > 0, end <= 64 else { return nil }
        // Most addresses in logs are dotted quads: try that first, in one pass.
        if end <= 15, bytes[0] >= 48, bytes[0] <= 57, let v4 = parseV4(bytes, 0, end) { return IPAddress(v4: v4) }
        // Sendmail writes `IPv6:2001:db8::1`.
        if end > 5, bytes[0] | 0x20 == UInt8(ascii: "i"), bytes[1] | 0x20 == UInt8(ascii: "p"),
            bytes[2] | 0x20 == UInt8(ascii: "v"), bytes[3] == UInt8(ascii: "6"),
            bytes[4] == UInt8(ascii: ":")
        {
            start = 5
        }
        // Drop a zone index (`fe80::1%eth0`).
        for i in start..<end where bytes[i] == UInt8(ascii: "%") {
            end = i
            break
        }
        var hasColon = false
        for i in start..<end where bytes[i] == UInt8(ascii: ":") {
            hasColon = true
            break
        }
        if !hasColon {
            guard start == 0, let v4 = parseV4(bytes, start, end) else { return nil }
            return IPAddress(v4: v4)
        }
        return parseV6(bytes, start, end)
    }

    @inlinable
    static func parseV4(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> UInt32? {
        guard start >= 0, end <= b.count, start < end, let base = b.baseAddress else { return nil }
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var dots = 0
        var i = start
        while i < end {
            let c = base.load(fromByteOffset: i, as: UInt8.self)
            let digit = c &- 48
            if digit < 10 {
                // Leading zeros are ambiguous (octal in some parsers); refuse them.
                if digits == 1, octet == 0 { return nil }
                octet = octet &* 10 &+ UInt32(digit)
                digits &+= 1
                if digits > 3 || octet > 255 { return nil }
            } else if c == UInt8(ascii: ".") {
                if digits == 0 || dots == 3 { return nil }
                value = value << 8 | octet
                octet = 0
                digits = 0
                dots &+= 1
            } else {
                return nil
            }
            i &+= 1
        }
        guard dots == 3, digits > 0 else { return nil }
        return value << 8 | octet
    }

    @inlinable
    static func parseV6(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> IPAddress? {
        var groups = [UInt16](repeating: 0, count: 8)
        var count = 0
        var gapAt = -1
        var i = start
        if end - start >= 2, b[start] == UInt8(ascii: ":") {
            guard b[start + 1] == UInt8(ascii: ":") else { return nil }
            gapAt = 0
            i = start + 2
            if i == end { return IPAddress(v6High: 0, low: 0) }
        }
        while i < end {
            // Find the end of this piece.
            var j = i
            var sawDot = false
            while j < end, b[j] != UInt8(ascii: ":") {
                if b[j] == UInt8(ascii: ".") { sawDot = true }
                j += 1
            }
            if sawDot {
                // Embedded IPv4 must be the last piece.
                guard j == end, count <= 6, let v4 = parseV4(b, i, j) else { return nil }
                groups[count] = UInt16(v4 >> 16)
                groups[count + 1] = UInt16(v4 & 0xFFFF)
                count += 2
                i = j
                break
            }
            let length = j - i
            guard length >= 1, length <= 4, count < 8 else { return nil }
            var value: UInt16 = 0
            for k in i..<j {
                guard let nibble = hexValue(b[k]) else { return nil }
                value = value << 4 | UInt16(nibble)
            }
            groups[count] = value
            count += 1
            if j == end {
                i = j
                break
            }
            // j points at ':'
            if j + 1 < end, b[j + 1] == UInt8(ascii: ":") {
                guard gapAt < 0 else { return nil }
                gapAt = count
                i = j + 2
            } else {
                guard j + 1 < end else { return nil }
                i = j + 1
            }
        }
        if gapAt >= 0 {
            guard count < 8 else { return nil }
            let tail = count - gapAt
            var expanded = [UInt16](repeating: 0, count: 8)
            for k in 0..<gapAt { expanded[k] = groups[k] }
            for k in 0..<tail { expanded[8 - tail + k] = groups[gapAt + k] }
            groups = expanded
        } else {
            guard count == 8 else { return nil }
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for k in 0..<4 { high = high << 16 | UInt64(groups[k]) }
        for k in 4..<8 { low = low << 16 | UInt64(groups[k]) }
        return IPAddress(v6High: high, low: low)
    }

    @inline(__always)
    @inlinable
    package static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }
}
