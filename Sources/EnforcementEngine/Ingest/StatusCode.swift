import RegistryClient

/// Registration statuses as small integers in the aggregates.
public enum StatusCode {
    public static let all: [RegistrationStatus] = [.active, .suspended, .revoked, .unregistered, .unknown]

    public static func code(_ status: RegistrationStatus) -> UInt8 { UInt8(all.firstIndex(of: status)!) }

    public static func status(_ code: Int) -> RegistrationStatus { code >= 0 && code < all.count ? all[code] : .unknown }
}
