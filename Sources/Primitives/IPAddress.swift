/// An IPv4 or IPv6 address as a value: 128 bits plus the family.
///
/// IPv4 addresses live in the low 32 bits of `low` with `high == 0`. An IPv4-mapped IPv6
/// address (`::ffff:a.b.c.d`) is parsed as the IPv4 address it carries, because that is the
/// TCP peer a dual-stack MTA really talked to.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Family: UInt8, Sendable { case v4 = 4, v6 = 6 }

    public let family: Family
    /// Most significant 64 bits (always 0 for IPv4).
    public let high: UInt64
    /// Least significant 64 bits (for IPv4, the address in the low 32 bits).
    public let low: UInt64

    @inlinable
    public init(v4 value: UInt32) {
        family = .v4
        high = 0
        low = UInt64(value)
    }

    @inlinable
    public init(v6High high: UInt64, low: UInt64) {
        if high == 0, low >> 32 == 0xFFFF {
            self.family = .v4
            self.high = 0
            self.low = low & 0xFFFF_FFFF
        } else {
            self.family = .v6
            self.high = high
            self.low = low
        }
    }

    /// The IPv4 value; only meaningful when `family == .v4`.
    @inlinable
    public var v4Value: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// Parses the text form of an address (IPv4 dotted quad or IPv6, with an optional
    /// `IPv6:` prefix as Sendmail writes it and an optional `%zone` suffix, which is dropped).
    public init?(_ text: String) {
        var text = text
        let parsed: IPAddress? = text.withUTF8 { IPAddress.parse(UnsafeRawBufferPointer($0)) }
        guard let parsed else { return nil }
        self = parsed
    }

    @inlinable
    public static func == (lhs: IPAddress, rhs: IPAddress) -> Bool {
        lhs.low == rhs.low && lhs.high == rhs.high && lhs.family == rhs.family
    }

    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(low)
        hasher.combine(high)
        hasher.combine(family)
    }

    @inlinable
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.family != rhs.family { return lhs.family.rawValue < rhs.family.rawValue }
        if lhs.high != rhs.high { return lhs.high < rhs.high }
        return lhs.low < rhs.low
    }

    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(40)
        appendText(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
