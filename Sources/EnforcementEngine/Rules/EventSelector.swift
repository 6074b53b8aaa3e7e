import LogParsers

/// What a rule condition counts (FORMATS.md §5): a `kind` (`rejected`) or a
/// `kind.reason` (`rejected.unknown_recipient`).
public struct EventSelector: Hashable, Sendable, CustomStringConvertible {
    public let kind: EventKind
    public let reason: RejectReason?

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case unknownKind(String)
        case unknownReason(String)
        case reasonNotAllowed(String)

        public var description: String {
            switch self {
            case .unknownKind(let text):
                "unknown event kind '\(text)' (one of: \(EventKind.allCases.map(\.name).joined(separator: ", ")))"
            case .unknownReason(let text):
                "unknown reason '\(text)' (one of: \(RejectReason.allCases.map(\.name).joined(separator: ", ")))"
            case .reasonNotAllowed(let text):
                "'\(text)': only rejected and deferred events have a reason"
            }
        }
    }

    public init(kind: EventKind, reason: RejectReason? = nil) {
        self.kind = kind
        self.reason = reason
    }

    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let kind = EventKind(name: String(parts[0])) else { throw .unknownKind(String(parts[0])) }
        var reason: RejectReason?
        if parts.count == 2 {
            guard kind == .rejected || kind == .deferred else { throw .reasonNotAllowed(text) }
            guard let parsed = RejectReason(name: String(parts[1])) else { throw .unknownReason(String(parts[1])) }
            reason = parsed
        }
        self.kind = kind
        self.reason = reason
    }

    /// Whether an event of `kind` with `reason` is counted by this selector.
    public func matches(kind: EventKind, reason: RejectReason?) -> Bool {
        guard kind == self.kind else { return false }
        guard let wanted = self.reason else { return true }
        return reason == wanted
    }

    /// The same test on stored codes (`EventKind.rawValue`, `RejectReason.rawValue` or 255).
    @inline(__always)
    public func matches(kind: UInt8, reason: UInt8) -> Bool {
        guard kind == self.kind.rawValue else { return false }
        guard let wanted = self.reason else { return true }
        return reason == wanted.rawValue
    }

    public var description: String { reason.map { "\(kind.name).\($0.name)" } ?? kind.name }
}
