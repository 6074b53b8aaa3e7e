import Primitives

/// One address's registration as `registry lookup` prints it (`--json`: `{"ip","at","status",
/// "network","registrant","case","since"}`).
public struct RegistrationAnswer: Encodable, Sendable, Equatable {
    public var ip: String
    public var at: String
    public var status: RegistrationStatus
    public var network: String?
    public var registrant: String?
    public var caseID: String?
    public var since: String?

    enum CodingKeys: String, CodingKey {
        case ip, at, status, network, registrant
        case caseID = "case"
        case since
    }

    public init(ip: IPAddress, at time: Int64, state: RegistrationState) {
        self.ip = ip.description
        at = ISOTime.format(millis: time, fraction: false)
        status = state.status
        network = state.network?.description
        registrant = state.registrant
        caseID = state.caseID
        since = state.validFrom.map { ISOTime.format(millis: $0, fraction: false) }
    }

    /// `198.51.100.5 active 198.51.100.0/24 registrant=R-000100 since=2026-01-01T00:00:00Z`.
    public var line: String {
        var line = "\(ip) \(status.rawValue)"
        if let network { line += " \(network)" }
        if let registrant { line += " registrant=\(registrant)" }
        if let caseID { line += " case=\(caseID)" }
        if let since { line += " since=\(since)" }
        return line
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ip, forKey: .ip)
        try c.encode(at, forKey: .at)
        try c.encode(status, forKey: .status)
        try c.encode(network, forKey: .network)
        try c.encode(registrant, forKey: .registrant)
        try c.encode(caseID, forKey: .caseID)
        try c.encode(since, forKey: .since)
    }
}
