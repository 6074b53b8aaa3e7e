/// What an evaluation did (or, with `--dry-run`, would do) to a case.
public struct CaseChange: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case opened, updated, unchanged
    }

    public var caseID: String
    public var change: Kind
    public var subject: String
    public var rule: String
    public var action: Rule.Action
    public var status: EnforcementCase.Status
    public var severity: Rule.Severity
    /// Why a suspend rule's case was left open instead (not active, not corroborated).
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case caseID = "case"
        case change, subject, rule, action, status, severity, note
    }

    public init(_ item: EnforcementCase, _ change: Kind, note: String? = nil) {
        caseID = item.id
        self.change = change
        subject = item.subject
        rule = item.ruleID
        action = item.action
        status = item.status
        severity = item.severity
        self.note = note
    }
}
