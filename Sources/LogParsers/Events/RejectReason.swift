/// Why a message or connection was refused (`rejected` and `deferred` events only).
public enum RejectReason: UInt8, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case rbl
    case unknownRecipient
    case relayDenied
    case senderRejected
    case heloRejected
    case noRDNS
    case spamContent
    case virus
    case rateLimited
    case greylisted
    case policy
    case other

    public var name: String {
        switch self {
        case .rbl: "rbl"
        case .unknownRecipient: "unknown_recipient"
        case .relayDenied: "relay_denied"
        case .senderRejected: "sender_rejected"
        case .heloRejected: "helo_rejected"
        case .noRDNS: "no_rdns"
        case .spamContent: "spam_content"
        case .virus: "virus"
        case .rateLimited: "rate_limited"
        case .greylisted: "greylisted"
        case .policy: "policy"
        case .other: "other"
        }
    }

    public var description: String { name }

    public init?(name: String) {
        guard let reason = RejectReason.allCases.first(where: { $0.name == name }) else { return nil }
        self = reason
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let reason = RejectReason(name: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown reason \(text)"))
        }
        self = reason
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
