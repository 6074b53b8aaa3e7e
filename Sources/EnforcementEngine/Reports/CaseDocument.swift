import Primitives

/// A case as programs read it: `cases list --json` items (FORMATS.md §1), and with `cases
/// show --json` its figures, history, registration, samples and notices.
public struct CaseDocument: Encodable, Sendable {
    public var id, subject: String
    public var subjectKind: Rule.Subject
    public var registrant: String?
    public var rule, ruleSHA256: String
    public var action: Rule.Action
    public var severity: Rule.Severity
    public var status: EnforcementCase.Status
    public var opened, updated: String
    public var reporters: [String]
    /// `cases show` only.
    public var window: Window?
    public var figures: CaseFigures?
    public var history: [AuditDocument]?
    public var registration: RegistrationDocument?
    public var samples: [CaseSample]?
    /// E-mails to the abuse contact (FORMATS.md §9).
    public var notices: [NoticeDocument]?

    public struct Window: Encodable, Sendable {
        public var start, end: String
    }

    enum CodingKeys: String, CodingKey {
        case id, subject
        case subjectKind = "subject_kind"
        case registrant, rule
        case ruleSHA256 = "rule_sha256"
        case action, severity, status, opened, updated, reporters, window, figures, history, registration, samples, notices
    }

    /// The list form.
    public init(_ c: EnforcementCase) {
        id = c.id
        subject = c.subject
        subjectKind = c.subjectKind
        registrant = c.registrant
        rule = c.ruleID
        ruleSHA256 = c.ruleSHA256
        action = c.action
        severity = c.severity
        status = c.status
        opened = ISOTime.format(millis: c.opened, fraction: false)
        updated = ISOTime.format(millis: c.updated, fraction: false)
        reporters = c.reporters
    }

    /// The full form: with the audit log and the samples of its window.
    public init(_ c: EnforcementCase, audit: [AuditEntry], samples: [CaseSample], notices: [Notice] = []) {
        self.init(c)
        window = Window(start: ISOTime.format(millis: c.windowStart, fraction: false), end: ISOTime.format(millis: c.windowEnd, fraction: false))
        figures = c.figures
        history = audit.map(AuditDocument.init)
        registration = c.registration.map(RegistrationDocument.init)
        self.samples = samples
        self.notices = notices.map(NoticeDocument.init)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(subject, forKey: .subject)
        try c.encode(subjectKind, forKey: .subjectKind)
        try c.encode(registrant, forKey: .registrant)
        try c.encode(rule, forKey: .rule)
        try c.encode(ruleSHA256, forKey: .ruleSHA256)
        try c.encode(action, forKey: .action)
        try c.encode(severity, forKey: .severity)
        try c.encode(status, forKey: .status)
        try c.encode(opened, forKey: .opened)
        try c.encode(updated, forKey: .updated)
        try c.encode(reporters, forKey: .reporters)
        guard let history else { return }
        try c.encode(window, forKey: .window)
        try c.encode(figures, forKey: .figures)
        try c.encode(history, forKey: .history)
        try c.encode(registration, forKey: .registration)
        try c.encode(samples, forKey: .samples)
        try c.encode(notices ?? [], forKey: .notices)
    }
}

/// One line of a case's audit log, as programs read it.
public struct AuditDocument: Encodable, Sendable {
    public var time, actor, action: String
    public var from, to: EnforcementCase.Status?
    public var reason: String

    public init(_ e: AuditEntry) {
        time = ISOTime.format(millis: e.time, fraction: false)
        actor = e.actor
        action = e.action
        from = e.fromStatus
        to = e.toStatus
        reason = e.reason
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(time, forKey: .time)
        try c.encode(actor, forKey: .actor)
        try c.encode(action, forKey: .action)
        try c.encode(from, forKey: .from)
        try c.encode(to, forKey: .to)
        try c.encode(reason, forKey: .reason)
    }

    enum CodingKeys: String, CodingKey { case time, actor, action, from, to, reason }
}
