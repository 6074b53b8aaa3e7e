import Foundation
import Primitives
import RegistryClient

/// What staff review reads: the case queue page by page, and the audit log filtered.
extension EngineStore {
    /// Which cases a queue page holds. No status: the cases awaiting a decision
    /// (provisional suspensions, then open cases).
    public struct QueueFilter: Sendable, Equatable {
        public var status: EnforcementCase.Status?
        public var rule: String?
        public var reporter: String?
        public var severity: Rule.Severity?

        public init(status: EnforcementCase.Status? = nil, rule: String? = nil, reporter: String? = nil, severity: Rule.Severity? = nil) {
            self.status = status
            self.rule = rule
            self.reporter = reporter
            self.severity = severity
        }
    }

    /// One page of the queue and how many cases match in all.
    public struct QueuePage: Sendable {
        public var cases: [EnforcementCase]
        public var total: Int
        /// Of those matching: provisional suspensions, and open cases.
        public var suspended: Int
        public var open: Int
        /// Provisional suspensions (of all matching) suspended before `overdueBefore`.
        public var overdue: Int
        /// When each suspended case of the page was suspended (UTC ms), by case id.
        public var suspendedAt: [String: Int64]
    }

    /// The queue's order of statuses: the expression of the `case_queue` index (written the
    /// same way, so that SQLite reads the page off the index instead of sorting).
    static let queueRank = "(CASE status WHEN 'suspended' THEN 0 WHEN 'open' THEN 1 ELSE 2 END)"

    /// A page of the queue: provisional suspensions first, then open cases, each oldest
    /// first; other statuses (when filtered for) by age too.
    public func caseQueue(_ filter: QueueFilter, offset: Int, limit: Int, overdueBefore: Int64) throws -> QueuePage {
        // The page reads the queue's index in order; the counts read the status index.
        try sql.read { db in
            var conditions: [String] = []
            var counted: [String] = []
            var arguments: [SQLValue] = []
            if let status = filter.status {
                conditions.append("status = ?")
                counted.append("status = ?")
                arguments.append(.text(status.rawValue))
            } else {
                conditions.append("\(Self.queueRank) < 2")
                counted.append("status IN ('suspended', 'open')")
            }
            var rest: [String] = []
            if let rule = filter.rule {
                rest.append("rule_id = ?")
                arguments.append(.text(rule))
            }
            if let severity = filter.severity {
                rest.append("severity = ?")
                arguments.append(.text(severity.rawValue))
            }
            if let reporter = filter.reporter {
                // The case's reporters are a JSON array of names.
                rest.append(
                    db.dialect == .postgres
                        ? "EXISTS (SELECT 1 FROM json_array_elements_text(enforcement_case.reporters::json) AS r(value) WHERE r.value = ?)"
                        : "EXISTS (SELECT 1 FROM json_each(enforcement_case.reporters) WHERE value = ?)")
                arguments.append(.text(reporter))
            }
            let clause = (conditions + rest).joined(separator: " AND ")
            let countClause = (counted + rest).joined(separator: " AND ")
            var byStatus: [String: Int] = [:]
            try db.query("SELECT status, COUNT(*) FROM enforcement_case WHERE \(countClause) GROUP BY status", arguments) { row in
                byStatus[try row.requiredText(0)] = Int(try row.required(1))
            }
            let cases = try db.rows(
                """
                SELECT \(EnforcementCase.columns) FROM enforcement_case WHERE \(clause)
                ORDER BY \(Self.queueRank), opened, id LIMIT ? OFFSET ?
                """, arguments + [.integer(max(1, limit)), .integer(max(0, offset))], EnforcementCase.init(row:))
            let suspensionTime = "(SELECT MAX(a.time) FROM audit a WHERE a.case_id = enforcement_case.id AND a.to_status = 'suspended')"
            let overdue = try db.integer(
                "SELECT COUNT(*) FROM enforcement_case WHERE \(countClause) AND status = 'suspended' AND \(suspensionTime) < ?", arguments + [.integer(overdueBefore)]) ?? 0
            var suspendedAt: [String: Int64] = [:]
            for item in cases where item.status == .suspended {
                suspendedAt[item.id] = try db.integer("SELECT MAX(time) FROM audit WHERE case_id = ? AND to_status = 'suspended'", [.text(item.id)]) ?? item.updated
            }
            return QueuePage(
                cases: cases, total: byStatus.values.reduce(0, +), suspended: byStatus["suspended"] ?? 0, open: byStatus["open"] ?? 0, overdue: Int(overdue),
                suspendedAt: suspendedAt)
        }
    }

    /// The rules that opened cases, by id (for the queue's filter).
    public func caseRules() throws -> [String] {
        try sql.read { db in try db.rows("SELECT DISTINCT rule_id FROM enforcement_case ORDER BY rule_id") { try $0.requiredText(0) } }
    }

    /// Audit lines newest first, filtered by case, actor (a staff member or `engine`) and
    /// time (`from` inclusive, `to` exclusive, UTC ms); at most `limit`.
    public func auditLog(caseID: String? = nil, actor: String? = nil, from: Int64? = nil, to: Int64? = nil, limit: Int) throws -> [AuditEntry] {
        var conditions = SQLConditions()
        conditions.equal("case_id", caseID)
        conditions.equal("actor", actor)
        conditions.atLeast("time", from)
        conditions.below("time", to)
        return try sql.read { db in
            try db.rows(
                "SELECT \(AuditEntry.columns) FROM audit WHERE \(conditions.clause) ORDER BY time DESC, id DESC LIMIT ?",
                conditions.arguments + [.integer(max(1, limit))], AuditEntry.init(row:))
        }
    }

    /// Writes to a case's audit log that `actor` looked at its samples unredacted.
    public func recordUnredactedView(caseID: String, by actor: String, reason: String, at time: Int64) throws {
        try recordDisclosure("viewed unredacted", caseID: caseID, by: actor, reason: reason, at: time)
    }
}
