extension IPAddress {
    /// The address in network byte order: 4 bytes for IPv4, 16 for IPv6 (as in an A or
    /// AAAA record, or a stored key).
    public var networkBytes: [UInt8] {
        if family == .v4 {
            let v = v4Value
            return [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for word in [high, low] {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return bytes
    }

    /// The address of 4 (IPv4) or 16 (IPv6) bytes in network order; nil for another length.
    public init?<C: Collection>(networkBytes: C) where C.Element == UInt8 {
        let b = Array(networkBytes)
        switch b.count {
        case 4:
            self.init(v4: UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3]))
        case 16:
            var high: UInt64 = 0
            var low: UInt64 = 0
            for k in 0..<8 { high = high << 8 | UInt64(b[k]) }
            for k in 8..<16 { low = low << 8 | UInt64(b[k]) }
            self.init(v6High: high, low: low)
        default:
            return nil
        }
    }
}
