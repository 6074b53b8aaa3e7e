extension IPAddress {
    /// Appends the canonical text form: dotted quad for IPv4, RFC 5952 for IPv6
    /// (lower case, no leading zeros, the longest run of two or more zero groups as `::`).
    @inlinable
    public func appendText(to out: inout [UInt8]) {
        if family == .v4 {
            let v = v4Value
            for shift in stride(from: 24, through: 0, by: -8) {
                appendDecimal(UInt32((v >> UInt32(shift)) & 0xFF), to: &out)
                if shift != 0 { out.append(UInt8(ascii: ".")) }
            }
            return
        }
        var groups = [UInt16](repeating: 0, count: 8)
        for k in 0..<4 { groups[k] = UInt16(truncatingIfNeeded: high >> UInt64(48 - 16 * k)) }
        for k in 0..<4 { groups[4 + k] = UInt16(truncatingIfNeeded: low >> UInt64(48 - 16 * k)) }
        var bestStart = -1
        var bestLength = 0
        var k = 0
        while k < 8 {
            if groups[k] == 0 {
                var e = k
                while e < 8, groups[e] == 0 { e += 1 }
                if e - k > bestLength, e - k >= 2 {
                    bestStart = k
                    bestLength = e - k
                }
                k = e
            } else {
                k += 1
            }
        }
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        k = 0
        while k < 8 {
            if k == bestStart {
                out.append(UInt8(ascii: ":"))
                if k == 0 { out.append(UInt8(ascii: ":")) }
                k += bestLength
                if k == 8 { break }
                continue
            }
            let g = groups[k]
            var started = false
            for shift in stride(from: 12, through: 0, by: -4) {
                let nibble = Int((g >> UInt16(shift)) & 0xF)
                if nibble != 0 || started || shift == 0 {
                    out.append(hex[nibble])
                    started = true
                }
            }
            if k < 7 { out.append(UInt8(ascii: ":")) }
            k += 1
        }
    }

    @inlinable
    func appendDecimal(_ value: UInt32, to out: inout [UInt8]) {
        if value >= 100 { out.append(UInt8(48 + value / 100)) }
        if value >= 10 { out.append(UInt8(48 + (value / 10) % 10)) }
        out.append(UInt8(48 + value % 10))
    }
}
