import Primitives

/// One history row as the in-memory index needs it.
public struct IndexRow: Sendable {
    public var network: IPNetwork
    public var status: RegistrationStatus
    public var registrant: String
    public var caseID: String?
    public var validFrom: Int64

    public init(network: IPNetwork, status: RegistrationStatus, registrant: String, caseID: String?, validFrom: Int64) {
        self.network = network
        self.status = status
        self.registrant = registrant
        self.caseID = caseID
        self.validFrom = validFrom
    }
}
