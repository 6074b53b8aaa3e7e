import Foundation
import LogParsers
import Primitives
import RegistryClient

/// Cases, their audit log and the registration changes they cause: each write one
/// transaction.
extension EngineStore {
    /// A case that is not there, or a decision the case cannot take.
    public enum CaseError: Error, Equatable, CustomStringConvertible {
        case noSuchCase(String)
        /// Someone decided the case since it was read (the caller decides again).
        case changedMeanwhile(String, now: EnforcementCase.Status)
        /// A notice id that names no notice (a notifier working from a stale list).
        case noSuchNotice(Int64)

        public var description: String {
            switch self {
            case .noSuchCase(let id): "no case \(id)"
            case .changedMeanwhile(let id, let now): "case \(id) changed meanwhile: it is now \(now.rawValue); decide again"
            case .noSuchNotice(let id): "no notice \(id)"
            }
        }
    }

    /// reporter → organisation.
    public func organisations() throws -> [String: String] {
        try sql.read { db in
            Dictionary(uniqueKeysWithValues: try db.rows("SELECT id, organisation FROM reporter") { (try $0.requiredText(0), try $0.requiredText(1)) })
        }
    }

    /// Opens or updates the cases of `matches` and takes their actions (`CasePlanner`
    /// decides, this writes), and records the contradictions: one transaction, in which the
    /// registry's suspensions are written too. With `dryRun`, computes the same changes and
    /// writes nothing (the transaction is rolled back).
    public func apply(_ matches: [RuleMatch], contradictions: [RuleEvaluator.Contradiction] = [], asOf: Int64, dryRun: Bool) throws -> [CaseChange] {
        var changes: [CaseChange] = []
        do {
            try sql.write { db in
                // On PostgreSQL, evaluations on several hosts write one at a time; each reads
                // what the one before committed (a case it opened is updated, not opened again).
                if db.dialect == .postgres { try db.execute("SELECT pg_advisory_xact_lock(?)", [.integer(Self.evaluationLock)]) }
                let lengths = (v4: try RegistryStore.prefixLengths(db, family: .v4), v6: try RegistryStore.prefixLengths(db, family: .v6))
                var known = try KnownCases(db, asOf: asOf)
                var writes = CaseWrites()
                for match in matches where match.fired {
                    // An address the evaluation found unregistered (no registrant) has no
                    // registration to read.
                    var registration: RegistrationRecord?
                    if match.subjectKind == .ip, match.registrant != nil, let ip = IPAddress(match.subject) {
                        registration = try RegistryStore.record(db, ip, asOf, prefixLengths: ip.family == .v4 ? lengths.v4 : lengths.v6)
                    }
                    let plan = CasePlanner.plan(match, facts: known.facts(match, registration: registration), asOf: asOf)
                    try Self.write(db, plan, at: asOf, &writes)
                    known.record(plan)
                    if let change = plan.change { changes.append(change) }
                }
                try writes.flush(db)
                for c in contradictions {
                    try db.execute(
                        "INSERT INTO contradiction (reporter_id, subject, rule_id, as_of, witnesses) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        [.text(c.reporter), .text(c.subject), .text(c.ruleID), .integer(asOf), .integer(c.witnesses.count)])
                }
                if dryRun { throw DryRun() }
            }
        } catch is DryRun {}
        return changes
    }

    /// The advisory lock an evaluation's writes hold on PostgreSQL ("evaluate" in ASCII).
    static let evaluationLock: Int64 = 0x6576_616c_7561_7465

    /// Thrown to roll back a dry run's transaction.
    private struct DryRun: Error {}

    /// Writes what the planner decided: updates and suspensions at once, new rows into
    /// `writes`.
    private static func write(_ db: any SQLSession, _ plan: CasePlan, at time: Int64, _ writes: inout CaseWrites) throws {
        guard let item = plan.item else { return }
        switch plan.kind {
        case .opened: try writes.add(item)
        case .updated: try item.update(db)
        case .unchanged, .judged: return
        }
        if plan.suspend, let ip = IPAddress(item.subject) {
            _ = try RegistryStore.recordChange(db, of: ip, to: .suspended, at: time, cause: "suspension", source: CasePlanner.engine, caseID: item.id, provisional: true)
            if let contact = item.registration?.abuseContact {
                writes.add(Notice.queued(caseID: item.id, kind: .report, contact: contact, at: time))
            }
        }
        for line in plan.audit {
            writes.add(AuditEntry(caseID: item.id, time: time, actor: CasePlanner.engine, action: line.action, fromStatus: line.from, toStatus: line.to, reason: line.reason))
        }
    }

    // MARK: Reading

    public func cases(status: EnforcementCase.Status? = nil) throws -> [EnforcementCase] {
        try sql.read { db in
            if let status {
                return try db.rows(
                    "SELECT \(EnforcementCase.columns) FROM enforcement_case WHERE status = ? ORDER BY id", [.text(status.rawValue)], EnforcementCase.init(row:))
            }
            return try db.rows("SELECT \(EnforcementCase.columns) FROM enforcement_case ORDER BY id", [], EnforcementCase.init(row:))
        }
    }

    /// The cases about one subject (an address or a registrant), oldest first.
    public func cases(subject: String) throws -> [EnforcementCase] {
        try sql.read { db in
            try db.rows("SELECT \(EnforcementCase.columns) FROM enforcement_case WHERE subject = ? ORDER BY id", [.text(subject)], EnforcementCase.init(row:))
        }
    }

    /// A case and its audit log, oldest line first.
    public func enforcementCase(id: String) throws -> (EnforcementCase, [AuditEntry])? {
        try sql.read { db in
            guard let item = try EnforcementCase.find(id, db) else { return nil }
            let audit = try db.rows("SELECT \(AuditEntry.columns) FROM audit WHERE case_id = ? ORDER BY id", [.text(id)], AuditEntry.init(row:))
            return (item, audit)
        }
    }

    /// Up to `perReporter` sample lines per reporter of `addresses` in `window`, read back
    /// from the archived shipments (`dataFolder/archive`).
    public func samples(of addresses: [IPAddress], window: SampleWindow?, perReporter: Int, dataFolder: URL) throws -> [CaseSample] {
        try sampleLines(addresses: addresses, window: window, perReporter: perReporter, dataFolder: dataFolder).map(CaseSample.init)
            .sorted { ($0.reporter, $0.file, $0.line) < ($1.reporter, $1.file, $1.line) }
    }

    /// Contradictions recorded for a reporter (possible single-reporter frame-ups).
    public func contradictions(reporter: String) throws -> Int {
        try Int(sql.read { db in try db.integer("SELECT COUNT(DISTINCT subject || ' ' || rule_id) FROM contradiction WHERE reporter_id = ?", [.text(reporter)]) } ?? 0)
    }

    // MARK: Staff

    /// A staff decision: the case's new status, the registration change it implies, and
    /// the audit line, in one transaction. With `expecting`, the decision is taken only if
    /// the case is still in that status (two reviewers deciding at once: one wins, the
    /// other gets `changedMeanwhile`).
    @discardableResult
    public func decide(
        _ decision: CaseDecision, caseID: String, by actor: String, reason: String, at time: Int64, expecting: EnforcementCase.Status? = nil
    ) throws -> EnforcementCase {
        try sql.write { db in
            // On PostgreSQL the row is locked, so that a second reviewer waits and then sees
            // the first one's decision (SQLite has one writer at a time).
            let lock = db.dialect == .postgres ? " FOR UPDATE" : ""
            guard var item = try db.first("SELECT \(EnforcementCase.columns) FROM enforcement_case WHERE id = ?\(lock)", [.text(caseID)], EnforcementCase.init(row:)) else {
                throw CaseError.noSuchCase(caseID)
            }
            if let expecting, item.status != expecting { throw CaseError.changedMeanwhile(caseID, now: item.status) }
            let from = item.status
            let outcome = try decision.outcome(from: from, suspended: item.priorStatus != nil)
            if let registration = outcome.registration, let ip = IPAddress(item.subject) {
                switch registration {
                case .confirmSuspension:
                    _ = try RegistryStore.recordChange(db, of: ip, to: .suspended, at: time, cause: "approval", source: actor, caseID: item.id, provisional: false)
                case .restorePrior:
                    _ = try RegistryStore.recordChange(
                        db, of: ip, to: item.priorStatus ?? .active, at: time, cause: decision == .dismiss ? "dismissal" : "reinstatement", source: actor, caseID: item.id,
                        provisional: false)
                }
            }
            item.status = outcome.to
            item.updated = time
            try item.update(db)
            try AuditEntry(caseID: item.id, time: time, actor: actor, action: decision.rawValue, fromStatus: from, toStatus: outcome.to, reason: reason).append(db)
            if let contact = item.registration?.abuseContact {
                try Notice.queued(caseID: item.id, kind: .decision, decision: decision.rawValue, reason: reason, contact: contact, at: time).insert(db)
            }
            return item
        }
    }

    /// Writes to the audit log that `actor` exported a case's evidence without
    /// pseudonymising recipients (an admin's choice that discloses mailboxes).
    public func recordUnredactedExport(caseID: String, by actor: String, reason: String, at time: Int64) throws {
        try recordDisclosure("evidence exported unredacted", caseID: caseID, by: actor, reason: reason, at: time)
    }

    /// An audit line for a disclosure that leaves the case's status as it is.
    func recordDisclosure(_ action: String, caseID: String, by actor: String, reason: String, at time: Int64) throws {
        try sql.write { db in
            guard let item = try EnforcementCase.find(caseID, db) else { throw CaseError.noSuchCase(caseID) }
            try AuditEntry(caseID: item.id, time: time, actor: actor, action: action, fromStatus: item.status, toStatus: item.status, reason: reason).append(db)
        }
    }
}
