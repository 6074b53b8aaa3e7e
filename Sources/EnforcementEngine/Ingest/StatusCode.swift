import RegistryClient

/// Registration statuses as small integers in the aggregates (`RegistrationStatus.code`).
public enum StatusCode {
    @inline(__always)
    public static func code(_ status: RegistrationStatus) -> UInt8 { status.code }

    /// The status of a stored code; a code no status has reads as unknown.
    public static func status(_ code: Int) -> RegistrationStatus { (UInt8(exactly: code)).flatMap(RegistrationStatus.init(code:)) ?? .unknown }
}
