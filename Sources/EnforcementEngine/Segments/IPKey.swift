import Foundation
import LogParsers
import Primitives

/// Addresses as stored: 4 bytes for IPv4, 16 for IPv6 (compact keys for the aggregates).
public enum IPKey {
    public static func bytes(_ ip: IPAddress) -> Data { Data(ip.networkBytes) }

    public static func address(_ data: Data) -> IPAddress? { IPAddress(networkBytes: data) }

    public static func address<C: Collection>(bytes: C) -> IPAddress? where C.Element == UInt8 { IPAddress(networkBytes: bytes) }
}
