import Foundation
import LogParsers
import Primitives

/// Addresses as stored: 4 bytes for IPv4, 16 for IPv6 (compact keys for the aggregates).
public enum IPKey {
    public static func bytes(_ ip: IPAddress) -> Data {
        if ip.family == .v4 {
            let v = ip.v4Value
            return Data([UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)])
        }
        var data = Data(capacity: 16)
        for word in [ip.high, ip.low] {
            for shift in stride(from: 56, through: 0, by: -8) { data.append(UInt8((word >> UInt64(shift)) & 0xFF)) }
        }
        return data
    }

    public static func address(_ data: Data) -> IPAddress? { address(bytes: [UInt8](data)) }

    public static func address<C: Collection>(bytes: C) -> IPAddress? where C.Element == UInt8 {
        let b = Array(bytes)
        if b.count == 4 { return IPAddress(v4: UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])) }
        guard b.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for k in 0..<8 { high = high << 8 | UInt64(b[k]) }
        for k in 8..<16 { low = low << 8 | UInt64(b[k]) }
        return IPAddress(v6High: high, low: low)
    }
}
