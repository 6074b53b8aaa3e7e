import Primitives
import RegistryClient

/// What the store knows about a match before it is applied: read by the applier, judged
/// by the planner.
public struct CaseFacts: Sendable, Equatable {
    /// The subject's open (or provisionally suspended) case of the same rule.
    public var openCase: EnforcementCase?
    /// Staff closed a case of the same subject and rule (dismissed, reinstated) inside the
    /// match's window: that evidence was judged.
    public var judgedInWindow: Bool
    /// The subject was suspended before (a reoffender gets a higher severity).
    public var suspendedBefore: Bool
    /// For an address: the registration in force at the evaluation.
    public var registration: RegistrationRecord?
    /// The id a new case would get.
    public var nextID: String

    public init(openCase: EnforcementCase?, judgedInWindow: Bool, suspendedBefore: Bool, registration: RegistrationRecord?, nextID: String) {
        self.openCase = openCase
        self.judgedInWindow = judgedInWindow
        self.suspendedBefore = suspendedBefore
        self.registration = registration
        self.nextID = nextID
    }
}

/// What to write for one match: the case as it will be, the audit lines, and whether the
/// registration is provisionally suspended. The applier writes it, in the evaluation's
/// transaction.
public struct CasePlan: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case opened, updated, unchanged
        /// Staff already judged this evidence: nothing is written.
        case judged
    }

    public struct AuditLine: Sendable, Equatable {
        public var action: String
        public var from: EnforcementCase.Status?
        public var to: EnforcementCase.Status?
        public var reason: String
    }

    public var kind: Kind
    public var item: EnforcementCase?
    public var audit: [AuditLine] = []
    /// Record a provisional suspension of the subject's registration under the case.
    public var suspend = false
    /// Why a suspend rule's case was left open instead.
    public var note: String?

    /// What the evaluation reports of this plan (nil when nothing was done).
    public var change: CaseChange? {
        guard let item else { return nil }
        switch kind {
        case .opened: return CaseChange(item, .opened, note: note)
        case .updated: return CaseChange(item, .updated)
        case .unchanged: return CaseChange(item, .unchanged)
        case .judged: return nil
        }
    }
}

/// Decides what a rule's firing does to the cases: pure, so every branch is tested
/// without a store.
///
/// - An open case of the subject and rule is updated when its evidence changed (else left
///   unchanged).
/// - Evidence staff judged (a case of the subject and rule dismissed or reinstated inside
///   the window) opens nothing.
/// - Otherwise a case opens, one severity up for a subject suspended before. A `suspend`
///   rule suspends, provisionally, only an active registration of an address reported by
///   at least two organisations; otherwise the case stays open with the reason.
public enum CasePlanner {
    public static let engine = "engine"

    public static func plan(_ match: RuleMatch, facts: CaseFacts, asOf: Int64) -> CasePlan {
        let figures = CaseFigures(match)
        var summary: String { match.results.map { "\($0.label) \(ConditionResult.display($0.value)) ≥ \(ConditionResult.display($0.threshold))" }.joined(separator: ", ") }
        if var existing = facts.openCase {
            guard existing.figures != figures || existing.reporters != match.reporters else { return CasePlan(kind: .unchanged, item: existing) }
            existing.figures = figures
            existing.reporters = match.reporters
            existing.windowStart = match.windowStart
            existing.windowEnd = match.windowEnd
            existing.updated = asOf
            return CasePlan(
                kind: .updated, item: existing,
                audit: [.init(action: "evidence updated", from: existing.status, to: existing.status, reason: "rule \(match.rule.id) fired again: \(summary)")])
        }
        if facts.judgedInWindow { return CasePlan(kind: .judged) }
        var item = EnforcementCase(
            id: facts.nextID, subject: match.subject, subjectKind: match.subjectKind, registrant: match.registrant ?? facts.registration?.registrant,
            ruleID: match.rule.id, ruleSHA256: match.rule.fileSHA256, action: match.rule.action,
            severity: facts.suspendedBefore ? match.rule.severity.raised : match.rule.severity, status: .open, opened: asOf, updated: asOf,
            windowStart: match.windowStart, windowEnd: match.windowEnd, figures: figures, reporters: match.reporters, registration: facts.registration,
            priorStatus: nil)
        var plan = CasePlan(kind: .opened, item: item, audit: [.init(action: "opened", from: nil, to: .open, reason: "rule \(match.rule.id) fired: \(summary)")])
        guard match.rule.action == .suspend else { return plan }
        let organisations = match.figures.organisations(accusing: match.rule.accusingSelectors).count
        if match.subjectKind != .ip || facts.registration == nil {
            plan.note = "not suspended: the subject is no registered address"
        } else if let registration = facts.registration, registration.registrationStatus != .active {
            plan.note = "not suspended: the registration is \(registration.status)"
        } else if organisations < 2 {
            plan.note = "not suspended: reports from \(organisations) organisation(s), a suspension needs 2"
        } else {
            item.status = .suspended
            item.priorStatus = .active
            plan.item = item
            plan.suspend = true
            plan.audit.append(
                .init(action: "suspended (provisional)", from: .open, to: .suspended, reason: "rule \(match.rule.id): corroborated by \(organisations) organisations; awaiting staff approval"))
        }
        if let note = plan.note { plan.audit.append(.init(action: "suspension withheld", from: .open, to: .open, reason: note)) }
        return plan
    }
}
