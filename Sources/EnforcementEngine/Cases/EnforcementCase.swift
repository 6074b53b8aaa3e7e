import GRDB

/// A case staff review (table `enforcement_case`): who, which rule, what was seen, and
/// where it stands. Every change of status is also an `audit` row.
public struct EnforcementCase: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "enforcement_case"

    public enum Status: String, Codable, Sendable, CaseIterable {
        case open, suspended, confirmed, dismissed, reinstated
    }

    /// `C-YYYY-NNNNNN`.
    public var id: String
    public var subject: String
    public var subjectKind: String
    public var registrant: String?
    public var ruleID: String
    public var ruleSHA256: String
    public var action: String
    public var severity: String
    public var status: String
    public var opened: Int64
    public var updated: Int64
    public var windowStart: Int64
    public var windowEnd: Int64
    /// JSON: condition results and counts per reporter.
    public var figures: String
    /// JSON array of the accusing reporters.
    public var reporters: String
    /// JSON of the registration record in force when the case opened.
    public var registration: String?
    /// The registration status before the engine suspended it (restored on dismissal).
    public var priorStatus: String?

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

    public var caseStatus: Status { Status(rawValue: status) ?? .open }
}

/// One line of the append-only audit log.
public struct AuditEntry: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "audit"

    public var id: Int64?
    public var caseID: String
    public var time: Int64
    /// `engine` or a staff member's name.
    public var actor: String
    public var action: String
    public var fromStatus: String?
    public var toStatus: String?
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case id
        case caseID = "case_id"
        case time, actor, action
        case fromStatus = "from_status"
        case toStatus = "to_status"
        case reason
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
