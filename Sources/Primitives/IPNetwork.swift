
/// An IPv4 or IPv6 network in CIDR notation (`198.51.100.0/28`, `2001:db8:10::/48`).
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case syntax(String)
        case prefixOutOfRange(Int)
        case hostBitsSet(String)

        public var description: String {
            switch self {
            case .syntax(let text): "not a network in CIDR notation: \(text)"
            case .prefixOutOfRange(let length): "prefix length \(length) is out of range"
            case .hostBitsSet(let text): "host bits are set in \(text) (the network address must end in zeros)"
            }
        }
    }

    /// Parses `address/length`; a bare address means a single host (/32 or /128).
    /// Host bits must be zero: `192.0.2.1/24` is an error, not `192.0.2.0/24`.
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else { throw .syntax(text) }
        let maxLength = address.family == .v4 ? 32 : 128
        var length = maxLength
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), parts[1].allSatisfy(\.isASCII), parts[1].first != "+" else { throw .syntax(text) }
            guard parsed >= 0, parsed <= maxLength else { throw .prefixOutOfRange(parsed) }
            length = parsed
        }
        // A v4-mapped IPv6 network (`::ffff:192.0.2.0/120`) would be read as IPv4: refuse it.
        if address.family == .v4, text.contains(":") { throw .syntax(text) }
        let network = IPNetwork(uncheckedAddress: address, prefixLength: length)
        guard network.address == address else { throw .hostBitsSet(text) }
        self = network
    }

    /// The network of `prefixLength` bits that contains `address` (host bits cleared).
    public init(uncheckedAddress address: IPAddress, prefixLength: Int) {
        self.prefixLength = prefixLength
        if address.family == .v4 {
            let mask: UInt32 = prefixLength == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefixLength)
            self.address = IPAddress(v4: address.v4Value & mask)
        } else {
            let (highMask, lowMask) = Self.v6Masks(prefixLength)
            self.address = IPAddress(v6High: address.high & highMask, low: address.low & lowMask)
        }
    }

    @inlinable
    static func v6Masks(_ length: Int) -> (UInt64, UInt64) {
        if length == 0 { return (0, 0) }
        if length <= 64 { return (~UInt64(0) << UInt64(64 - length), 0) }
        if length == 128 { return (~0, ~0) }
        return (~0, ~UInt64(0) << UInt64(128 - length))
    }

    @inlinable
    public func contains(_ ip: IPAddress) -> Bool {
        guard ip.family == address.family else { return false }
        return IPNetwork(uncheckedAddress: ip, prefixLength: prefixLength).address == address
    }

    /// The last address inside the network (all host bits set).
    public var lastAddress: IPAddress {
        if address.family == .v4 {
            let mask: UInt32 = prefixLength == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefixLength)
            return IPAddress(v4: address.v4Value | ~mask)
        }
        let (highMask, lowMask) = Self.v6Masks(prefixLength)
        return IPAddress(v6High: address.high | ~highMask, low: address.low | ~lowMask)
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
