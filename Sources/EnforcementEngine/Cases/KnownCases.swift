import Foundation
import Primitives
import RegistryClient

/// What an evaluation's transaction knows of the cases, read at its start in three queries
/// and kept up to date with what it writes: the open cases, when each (subject, rule) was
/// last judged by staff, the subjects ever suspended, and the last case number of the year.
/// An evaluation may apply tens of thousands of matches; asking the database three times
/// for each cost a round trip each on PostgreSQL (with the registration's four and a row a
/// statement, the bench's 89,979 matches took 108 s; 5 s now).
struct KnownCases {
    private var open: [String: EnforcementCase] = [:]
    private var judged: [String: Int64] = [:]
    private var suspended: Set<String> = []
    private let year: String
    private var lastNumber: Int

    /// Reads the cases as the transaction `db` sees them, for an evaluation as of `asOf`.
    init(_ db: any SQLSession, asOf: Int64) throws {
        var open: [String: EnforcementCase] = [:]
        try db.forEachRow("SELECT \(EnforcementCase.columns) FROM enforcement_case WHERE status IN ('open', 'suspended')", []) { row in
            let item = try EnforcementCase(row: row)
            open[Self.key(item.subject, item.ruleID)] = item
        }
        var judged: [String: Int64] = [:]
        try db.forEachRow("SELECT subject, rule_id, MAX(updated) FROM enforcement_case WHERE status IN ('dismissed', 'reinstated') GROUP BY subject, rule_id", []) { row in
            judged[Self.key(try row.requiredText(0), try row.requiredText(1))] = try row.required(2)
        }
        var suspended: Set<String> = []
        try db.forEachRow(
            "SELECT DISTINCT c.subject FROM enforcement_case c WHERE EXISTS (SELECT 1 FROM audit a WHERE a.case_id = c.id AND a.to_status = 'suspended')", []
        ) { row in suspended.insert(try row.requiredText(0)) }
        let year = String(ISOTime.format(millis: asOf, fraction: false).prefix(4))
        // The highest id of the year, by the primary key (ids sort as text: fixed width).
        let last = try db.first("SELECT MAX(id) FROM enforcement_case WHERE id >= ? AND id < ?", [.text("C-\(year)-"), .text("C-\(year).")]) { try $0.text(0) } ?? nil
        (self.open, self.judged, self.suspended, self.year) = (open, judged, suspended, year)
        lastNumber = last.flatMap { Int($0.dropFirst(7)) } ?? 0
    }

    /// The facts of `match`; `registration` is the subject's registration in force.
    func facts(_ match: RuleMatch, registration: RegistrationRecord?) -> CaseFacts {
        let key = Self.key(match.subject, match.rule.id)
        let openCase = open[key]
        let judgedInWindow = judged[key].map { $0 >= match.windowStart } ?? false
        let number = String(lastNumber + 1)
        let nextID = openCase == nil && !judgedInWindow ? "C-\(year)-" + String(repeating: "0", count: max(0, 6 - number.count)) + number : ""
        return CaseFacts(
            openCase: openCase, judgedInWindow: judgedInWindow, suspendedBefore: suspended.contains(match.subject), registration: registration, nextID: nextID)
    }

    /// Takes in what `plan` wrote.
    mutating func record(_ plan: CasePlan) {
        guard let item = plan.item, plan.kind == .opened || plan.kind == .updated else { return }
        if plan.kind == .opened { lastNumber += 1 }
        let key = Self.key(item.subject, item.ruleID)
        if item.status == .open || item.status == .suspended { open[key] = item } else { open[key] = nil }
        if plan.audit.contains(where: { $0.to == .suspended }) { suspended.insert(item.subject) }
    }

    private static func key(_ subject: String, _ rule: String) -> String { subject + "\u{1F}" + rule }
}
