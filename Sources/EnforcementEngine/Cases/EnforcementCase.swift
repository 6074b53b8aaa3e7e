import Foundation
import Primitives
import RegistryClient

/// A case staff review (table `enforcement_case`): who, which rule, what was seen, and
/// where it stands. Every change of status is also an `audit` row. A stored value that does
/// not decode (a damaged database) makes reading the case fail; it never reads as a
/// default.
public struct EnforcementCase: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case open, suspended, confirmed, dismissed, reinstated
    }

    /// `C-YYYY-NNNNNN`.
    public var id: String
    public var subject: String
    public var subjectKind: Rule.Subject
    public var registrant: String?
    public var ruleID: String
    public var ruleSHA256: String
    public var action: Rule.Action
    public var severity: Rule.Severity
    public var status: Status
    public var opened: Int64
    public var updated: Int64
    public var windowStart: Int64
    public var windowEnd: Int64
    /// What the case rests on: each condition's figure, counts per reporter.
    public var figures: CaseFigures
    /// The accusing reporters.
    public var reporters: [String]
    /// The registration in force when the case opened (nil: the subject was not registered).
    public var registration: RegistrationRecord?
    /// The registration status before the engine suspended it (restored on dismissal).
    public var priorStatus: RegistrationStatus?

    enum CodingKeys: String, CodingKey {
        case id, subject
        case subjectKind = "subject_kind"
        case registrant
        case ruleID = "rule_id"
        case ruleSHA256 = "rule_sha256"
        case action, severity, status, opened, updated
        case windowStart = "window_start"
        case windowEnd = "window_end"
        case figures, reporters, registration
        case priorStatus = "prior_status"
    }

    /// The addresses the case is about: the subject's, or a registrant's from its figures.
    public var addresses: [IPAddress] {
        if let ip = IPAddress(subject) { return [ip] }
        return figures.addresses?.compactMap(IPAddress.init) ?? []
    }

    /// The span its evidence comes from.
    public var window: SampleWindow { SampleWindow(from: windowStart, to: windowEnd) }
}

/// One line of the append-only audit log.
public struct AuditEntry: Codable, Sendable, Equatable {
    public var id: Int64?
    public var caseID: String
    public var time: Int64
    /// `engine` or a staff member's name.
    public var actor: String
    public var action: String
    public var fromStatus: EnforcementCase.Status?
    public var toStatus: EnforcementCase.Status?
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case id
        case caseID = "case_id"
        case time, actor, action
        case fromStatus = "from_status"
        case toStatus = "to_status"
        case reason
    }

    public init(id: Int64? = nil, caseID: String, time: Int64, actor: String, action: String, fromStatus: EnforcementCase.Status?, toStatus: EnforcementCase.Status?, reason: String) {
        self.id = id
        self.caseID = caseID
        self.time = time
        self.actor = actor
        self.action = action
        self.fromStatus = fromStatus
        self.toStatus = toStatus
        self.reason = reason
    }
}
