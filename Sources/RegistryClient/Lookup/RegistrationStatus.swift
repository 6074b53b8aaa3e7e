/// The registration status of an address at a moment (FORMATS.md §3, §4).
///
/// `unknown` is what a lookup that failed reports (a DNS timeout, an error code): never
/// `unregistered`, so that no rule acts on a failure as if it were a fact.
public enum RegistrationStatus: String, CaseIterable, Sendable, Codable {
    case active
    case suspended
    case revoked
    case unregistered
    case unknown

    /// Statuses a registration row can hold (the others are lookup outcomes).
    public static let recordable: [RegistrationStatus] = [.active, .suspended, .revoked]

    /// The status as a small integer, as segment records store it and the index holds it.
    /// Stored on disk: these values never change.
    public var code: UInt8 {
        switch self {
        case .active: 0
        case .suspended: 1
        case .revoked: 2
        case .unregistered: 3
        case .unknown: 4
        }
    }

    /// The status a stored code stands for; nil for a code no status has.
    public init?(code: UInt8) {
        switch code {
        case 0: self = .active
        case 1: self = .suspended
        case 2: self = .revoked
        case 3: self = .unregistered
        case 4: self = .unknown
        default: return nil
        }
    }

    /// The DNSBL answer address of FORMATS.md §4 (`127.0.0.2` active, …); nil where the
    /// zone answers NXDOMAIN (unregistered) or nothing (unknown).
    public var dnsAnswer: (UInt8, UInt8, UInt8, UInt8)? {
        switch self {
        case .active: (127, 0, 0, 2)
        case .suspended: (127, 0, 0, 3)
        case .revoked: (127, 0, 0, 4)
        case .unregistered, .unknown: nil
        }
    }

    /// The status an `A` answer means; nil for codes that are no status (`127.255.255.0/24`
    /// errors, `127.0.0.1`, anything else).
    public init?(dnsAnswer a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        guard a == 127, b == 0, c == 0 else { return nil }
        switch d {
        case 2: self = .active
        case 3: self = .suspended
        case 4: self = .revoked
        default: return nil
        }
    }
}
