import LogParsers
import Primitives
import RegistryClient

/// A registration as the product shows it (`ip show`, `cases show`, evidence manifests):
/// what the registry says of a network from a moment on, without the store's bookkeeping.
public struct RegistrationDocument: Codable, Sendable, Equatable {
    public var network: String
    public var registrant: String
    public var status: String
    public var abuseContact: String
    /// ISO 8601: from when this state holds.
    public var since: String
    /// `import`, `suspension`, `approval`, `dismissal`, `reinstatement`.
    public var cause: String
    public var caseID: String?
    public var provisional: Bool

    enum CodingKeys: String, CodingKey {
        case network, registrant, status
        case abuseContact = "abuse_contact"
        case since, cause
        case caseID = "case"
        case provisional
    }

    public init(_ record: RegistrationRecord) {
        network = record.network
        registrant = record.registrant
        status = record.status
        abuseContact = record.abuseContact
        since = ISOTime.format(millis: record.validFrom, fraction: false)
        cause = record.cause
        caseID = record.caseID
        provisional = record.provisional
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(network, forKey: .network)
        try c.encode(registrant, forKey: .registrant)
        try c.encode(status, forKey: .status)
        try c.encode(abuseContact, forKey: .abuseContact)
        try c.encode(since, forKey: .since)
        try c.encode(cause, forKey: .cause)
        try c.encode(caseID, forKey: .caseID)
        try c.encode(provisional, forKey: .provisional)
    }
}
