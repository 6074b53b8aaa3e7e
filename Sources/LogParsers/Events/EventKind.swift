/// What happened on an SMTP connection, as FORMATS.md §2 names it.
public enum EventKind: UInt8, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case connect
    case disconnect
    case messageAccepted
    case rejected
    case deferred
    case authFailed
    case lostConnection
    case protocolError

    /// The name used in JSON, rules and the database.
    public var name: String {
        switch self {
        case .connect: "connect"
        case .disconnect: "disconnect"
        case .messageAccepted: "message_accepted"
        case .rejected: "rejected"
        case .deferred: "deferred"
        case .authFailed: "auth_failed"
        case .lostConnection: "lost_connection"
        case .protocolError: "protocol_error"
        }
    }

    public var description: String { name }

    public init?(name: String) {
        guard let kind = EventKind.allCases.first(where: { $0.name == name }) else { return nil }
        self = kind
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let kind = EventKind(name: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown event kind \(text)"))
        }
        self = kind
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
