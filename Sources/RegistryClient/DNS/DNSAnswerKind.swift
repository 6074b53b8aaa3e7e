/// What an answer told, for the server's counters: read off the reply's bytes (its
/// response code and first answer record), so that the hot path keeps its one form.
public enum DNSAnswerKind: String, CaseIterable, Sendable {
    /// `127.0.0.2`: registered and active.
    case active
    /// `127.0.0.3`.
    case suspended
    /// `127.0.0.4`.
    case revoked
    /// NXDOMAIN: not registered.
    case unregistered
    /// A TXT answer.
    case txt
    /// NOERROR with other records (SOA, NS) or none.
    case other
    /// REFUSED: outside the zone.
    case refused
    /// FORMERR, SERVFAIL, NOTIMP and other errors.
    case error

    /// Its place in `allCases` (without building that array on the hot path).
    public var index: Int {
        switch self {
        case .active: 0
        case .suspended: 1
        case .revoked: 2
        case .unregistered: 3
        case .txt: 4
        case .other: 5
        case .refused: 6
        case .error: 7
        }
    }

    /// What the fast path's answer for `status` tells (an A record, or NXDOMAIN).
    init(answering status: RegistrationStatus) {
        switch status {
        case .active: self = .active
        case .suspended: self = .suspended
        case .revoked: self = .revoked
        case .unregistered: self = .unregistered
        case .unknown: self = .error
        }
    }

    /// Classifies a reply message.
    static func classify(_ reply: UnsafeRawBufferPointer) -> DNSAnswerKind {
        guard reply.count >= 12 else { return .error }
        switch reply[3] & 0x0F {
        case 0: break
        case 3: return .unregistered
        case 5: return .refused
        default: return .error
        }
        let answers = Int(reply[6]) << 8 | Int(reply[7])
        guard answers > 0, reply[4] == 0, reply[5] == 1 else { return .other }
        // Skip the question: its name (uncompressed in a reply's question), type, class.
        var i = 12
        while i < reply.count, reply[i] != 0 {
            if reply[i] & 0xC0 != 0 { i += 1; break }
            i += Int(reply[i]) + 1
        }
        i += 1 + 4
        // The first answer's name: a pointer or labels.
        guard i < reply.count else { return .other }
        if reply[i] & 0xC0 == 0xC0 {
            i += 2
        } else {
            while i < reply.count, reply[i] != 0 { i += Int(reply[i]) + 1 }
            i += 1
        }
        guard i + 10 <= reply.count else { return .other }
        let type = Int(reply[i]) << 8 | Int(reply[i + 1])
        let length = Int(reply[i + 8]) << 8 | Int(reply[i + 9])
        if type == 16 { return .txt }
        guard type == 1, length == 4, i + 14 <= reply.count, reply[i + 10] == 127 else { return .other }
        switch reply[i + 13] {
        case 2: return .active
        case 3: return .suspended
        case 4: return .revoked
        default: return .other
        }
    }
}
