import Primitives

/// What the registry knows of one address, as `ip show --json` prints it (FORMATS.md §1):
/// `{"ip","registration":[…],"reporters":{"<id>":{"<YYYY-MM-DD>":{"kind":N,…}}},"first_seen","last_seen","cases":[…]}`.
public struct AddressReport: Encodable, Sendable {
    public var ip: String
    public var registration: [RegistrationDocument]
    public var reporters: [String: [String: [String: Int]]]
    public var firstSeen: String?
    public var lastSeen: String?
    public var cases: [CaseDocument]

    enum CodingKeys: String, CodingKey {
        case ip, registration, reporters
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
        case cases
    }

    public init(_ activity: IPActivity, cases: [EnforcementCase]) {
        ip = activity.ip.description
        registration = activity.registration.map(RegistrationDocument.init)
        reporters = activity.reporters
        firstSeen = activity.firstSeen.map { ISOTime.format(millis: $0, fraction: false) }
        lastSeen = activity.lastSeen.map { ISOTime.format(millis: $0, fraction: false) }
        self.cases = cases.map(CaseDocument.init)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ip, forKey: .ip)
        try c.encode(registration, forKey: .registration)
        try c.encode(reporters, forKey: .reporters)
        try c.encode(firstSeen, forKey: .firstSeen)
        try c.encode(lastSeen, forKey: .lastSeen)
        try c.encode(cases, forKey: .cases)
    }
}
