import Primitives
/// A registration's state at a moment, as a lookup answers it.
public struct RegistrationState: Sendable, Equatable {
    public var status: RegistrationStatus
    /// The registered network that matched (longest prefix), nil when unregistered.
    public var network: IPNetwork?
    public var registrant: String?
    /// The case behind a suspension, if any.
    public var caseID: String?
    /// UTC milliseconds from which this state holds.
    public var validFrom: Int64?

    public init(status: RegistrationStatus, network: IPNetwork? = nil, registrant: String? = nil, caseID: String? = nil, validFrom: Int64? = nil) {
        self.status = status
        self.network = network
        self.registrant = registrant
        self.caseID = caseID
        self.validFrom = validFrom
    }

    public static let unregistered = RegistrationState(status: .unregistered)
    public static let unknown = RegistrationState(status: .unknown)
}
