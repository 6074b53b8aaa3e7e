import Foundation
import GRDB
import LogParsers
import Primitives
import RegistryClient

/// Cases, their audit log and the registration changes they cause: each method one
/// transaction.
extension EngineStore {
    public struct CaseError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// reporter → organisation.
    public func organisations() throws -> [String: String] {
        try database.read { db in
            Dictionary(uniqueKeysWithValues: try Reporter.fetchAll(db).map { ($0.id, $0.organisation) })
        }
    }

    /// The stored activity of every client with events between `from` and `to` (UTC ms).
    public func activity(from: Int64, to: Int64) throws -> [ClientActivity] {
        var clients: [ClientActivity] = []
        try forEachClient(from: from, to: to) { clients.append($0) }
        return clients
    }

    /// Opens or updates the cases of `matches` and takes their actions; records the
    /// contradictions. With `dryRun`, computes the same changes and writes nothing.
    public func apply(_ matches: [RuleMatch], contradictions: [RuleEvaluator.Contradiction] = [], asOf: Int64, dryRun: Bool) throws -> [CaseChange] {
        var changes: [CaseChange] = []
        try database.writeWithoutTransaction { db in
            try db.inTransaction {
                changes = try Self.apply(db, matches, asOf: asOf)
                for c in contradictions {
                    try db.cachedStatement(sql: "INSERT OR IGNORE INTO contradiction (reporter_id, subject, rule_id, as_of, witnesses) VALUES (?, ?, ?, ?, ?)")
                        .execute(arguments: [c.reporter, c.subject, c.ruleID, asOf, c.witnesses.count])
                }
                return dryRun ? .rollback : .commit
            }
        }
        return changes
    }

    private static func apply(_ db: Database, _ matches: [RuleMatch], asOf: Int64) throws -> [CaseChange] {
        var changes: [CaseChange] = []
        let v4Lengths = try RegistryStore.prefixLengths(db, family: .v4)
        let v6Lengths = try RegistryStore.prefixLengths(db, family: .v6)
        for match in matches where match.fired {
            let figures = try figuresJSON(match)
            let reporters = stringsJSON(match.reporters)
            // Cached statements: an evaluation may apply tens of thousands of matches.
            if var existing = try EnforcementCase.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM enforcement_case WHERE subject = ? AND rule_id = ? AND status IN ('open', 'suspended')"),
                arguments: [match.subject, match.rule.id])
            {
                guard existing.figures != figures || existing.reporters != reporters else {
                    changes.append(change(existing, .unchanged, nil))
                    continue
                }
                existing.figures = figures
                existing.reporters = reporters
                existing.windowStart = match.windowStart
                existing.windowEnd = match.windowEnd
                existing.updated = asOf
                try existing.update(db)
                try audit(db, existing.id, asOf, "engine", "evidence updated", existing.status, existing.status, "rule \(match.rule.id) fired again: \(summary(match))")
                changes.append(change(existing, .updated, nil))
                continue
            }
            // Staff already judged this evidence: a case of the same subject and rule closed
            // (dismissed or reinstated) inside the window stands; only later behaviour counts.
            let judged = try Bool.fetchOne(
                db.cachedStatement(
                    sql: "SELECT EXISTS (SELECT 1 FROM enforcement_case WHERE subject = ? AND rule_id = ? AND status IN ('dismissed', 'reinstated') AND updated >= ?)"),
                arguments: [match.subject, match.rule.id, match.windowStart]) ?? false
            if judged { continue }
            // A subject suspended before gets a higher severity.
            var severity = match.rule.severity
            let suspendedBefore = try Bool.fetchOne(
                db.cachedStatement(
                    sql: "SELECT EXISTS (SELECT 1 FROM enforcement_case c WHERE c.subject = ? AND EXISTS (SELECT 1 FROM audit a WHERE a.case_id = c.id AND a.to_status = 'suspended'))"),
                arguments: [match.subject]) ?? false
            if suspendedBefore { severity = severity.raised }
            var record: RegistrationRecord?
            if match.subjectKind == .ip, let ip = IPAddress(match.subject) {
                record = try RegistryStore.record(db, ip, asOf, prefixLengths: ip.family == .v4 ? v4Lengths : v6Lengths)
            }
            let registration = try record.map { try CanonicalJSON.string($0) }
            var item = EnforcementCase(
                id: try nextID(db, asOf), subject: match.subject, subjectKind: match.subjectKind.rawValue, registrant: match.registrant ?? record?.registrant,
                ruleID: match.rule.id, ruleSHA256: match.rule.fileSHA256, action: match.rule.action.rawValue, severity: severity.rawValue, status: "open",
                opened: asOf, updated: asOf, windowStart: match.windowStart, windowEnd: match.windowEnd, figures: figures, reporters: reporters,
                registration: registration, priorStatus: nil)
            try item.insert(db)
            try audit(db, item.id, asOf, "engine", "opened", nil, "open", "rule \(match.rule.id) fired: \(summary(match))")
            var note: String?
            if match.rule.action == .suspend {
                let organisations = match.figures.organisations(accusing: match.rule.accusingSelectors).count
                if match.subjectKind != .ip || record == nil {
                    note = "not suspended: the subject is no registered address"
                } else if record?.status != RegistrationStatus.active.rawValue {
                    note = "not suspended: the registration is \(record!.status)"
                } else if organisations < 2 {
                    note = "not suspended: reports from \(organisations) organisation(s), a suspension needs 2"
                } else {
                    let ip = IPAddress(match.subject)!
                    _ = try RegistryStore.recordChange(db, of: ip, to: .suspended, at: asOf, cause: "suspension", source: "engine", caseID: item.id, provisional: true)
                    item.status = EnforcementCase.Status.suspended.rawValue
                    item.priorStatus = record!.status
                    try item.update(db)
                    try audit(db, item.id, asOf, "engine", "suspended (provisional)", "open", "suspended", "rule \(match.rule.id): corroborated by \(organisations) organisations; awaiting staff approval")
                }
                if let note { try audit(db, item.id, asOf, "engine", "suspension withheld", "open", "open", note) }
            }
            changes.append(change(item, .opened, note))
        }
        return changes
    }

    private static func change(_ c: EnforcementCase, _ kind: CaseChange.Kind, _ note: String?) -> CaseChange {
        CaseChange(caseID: c.id, change: kind, subject: c.subject, rule: c.ruleID, action: c.action, status: c.status, severity: c.severity, note: note)
    }

    private static func audit(_ db: Database, _ caseID: String, _ time: Int64, _ actor: String, _ action: String, _ from: String?, _ to: String?, _ reason: String) throws {
        var entry = AuditEntry(id: nil, caseID: caseID, time: time, actor: actor, action: action, fromStatus: from, toStatus: to, reason: reason)
        try entry.insert(db)
    }

    /// `C-YYYY-NNNNNN`, numbered per year of `asOf`.
    private static func nextID(_ db: Database, _ asOf: Int64) throws -> String {
        let year = String(ISOTime.format(millis: asOf, fraction: false).prefix(4))
        // The highest id of the year, by the primary key (ids sort as text: fixed width).
        let last = try String.fetchOne(db.cachedStatement(sql: "SELECT MAX(id) FROM enforcement_case WHERE id >= ? AND id < ?"), arguments: ["C-\(year)-", "C-\(year)."])
        let count = last.flatMap { Int($0.dropFirst(7)) } ?? 0
        let number = String(count + 1)
        return "C-\(year)-" + String(repeating: "0", count: max(0, 6 - number.count)) + number
    }

    static func summary(_ match: RuleMatch) -> String {
        match.results.map { "\($0.label) \(ConditionResult.display($0.value)) ≥ \(ConditionResult.display($0.threshold))" }.joined(separator: ", ")
    }

    /// The case's figures as JSON (`CaseFigures`), keys sorted, written by hand: an
    /// evaluation may open tens of thousands of cases and Foundation's encoder is slow.
    static func figuresJSON(_ match: RuleMatch) throws -> String {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        JSONBytes.appendLiteral("{", to: &out)
        if match.subjectKind == .registrant {
            JSONBytes.appendLiteral("\"addresses\":", to: &out)
            out += Array(stringsJSON(match.addresses.map(\.description)).utf8)
            out.append(UInt8(ascii: ","))
        }
        JSONBytes.appendLiteral("\"conditions\":[", to: &out)
        for (i, r) in match.results.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONBytes.appendLiteral("{\"holds\":", to: &out)
            out += Array((r.holds ? "true" : "false").utf8)
            JSONBytes.appendLiteral(",\"label\":", to: &out)
            JSONBytes.appendString(r.label, to: &out)
            JSONBytes.appendLiteral(",\"threshold\":", to: &out)
            out += Array(number(r.threshold).utf8)
            JSONBytes.appendLiteral(",\"value\":", to: &out)
            out += Array(number(r.value).utf8)
            out.append(UInt8(ascii: "}"))
        }
        JSONBytes.appendLiteral("],\"reporters\":{", to: &out)
        for (i, reporter) in match.figures.perReporter.keys.sorted().enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONBytes.appendString(reporter, to: &out)
            out.append(UInt8(ascii: ":"))
            out.append(UInt8(ascii: "{"))
            var named: [String: Int] = [:]
            for (code, count) in match.figures.perReporter[reporter] ?? [:] {
                guard let kind = EventKind(rawValue: UInt8(code >> 8)) else { continue }
                let reason = UInt8(code & 0xFF)
                named[kind.name, default: 0] += count
                if reason != 255, let r = RejectReason(rawValue: reason) { named["\(kind.name).\(r.name)", default: 0] += count }
            }
            for (j, key) in named.keys.sorted().enumerated() {
                if j > 0 { out.append(UInt8(ascii: ",")) }
                JSONBytes.appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                JSONBytes.appendInteger(named[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        JSONBytes.appendLiteral("}}", to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A JSON array of strings.
    static func stringsJSON(_ list: [String]) -> String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (i, item) in list.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONBytes.appendString(item, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    // MARK: Staff

    public func cases(status: EnforcementCase.Status? = nil) throws -> [EnforcementCase] {
        try database.read { db in
            if let status {
                return try EnforcementCase.fetchAll(db, sql: "SELECT * FROM enforcement_case WHERE status = ? ORDER BY id", arguments: [status.rawValue])
            }
            return try EnforcementCase.fetchAll(db, sql: "SELECT * FROM enforcement_case ORDER BY id")
        }
    }

    /// A sample log line of a case: which reporter shipped it, where it is, what it says.
    public struct CaseSample: Sendable, Codable, Equatable {
        public var reporter: String
        public var selector: String
        public var file: String
        public var sha256: String
        public var line: Int
        public var offset: UInt64
        /// The line as archived (invalid UTF-8 replaced), nil when the archive lacks it.
        public var text: String?
    }

    /// Up to `perReporter` sample lines per reporter of `addresses` in `window`, read back
    /// from the archived shipments (`dataFolder/archive`).
    public func samples(of addresses: [IPAddress], window: SampleWindow?, perReporter: Int, dataFolder: URL) throws -> [CaseSample] {
        try sampleLines(addresses: addresses, window: window, perReporter: perReporter, dataFolder: dataFolder).map { sample in
            let e = sample.entry
            let selector = EventKind(rawValue: e.kind).map { EventSelector(kind: $0, reason: RejectReason(rawValue: e.reason)).description } ?? "?"
            return CaseSample(
                reporter: sample.reporter, selector: selector, file: sample.shipment?.fileName ?? "?", sha256: sample.shipment?.sha256 ?? "", line: e.line,
                offset: e.offset, text: sample.archived.map { String(decoding: $0.bytes, as: UTF8.self) })
        }.sorted { ($0.reporter, $0.file, $0.line) < ($1.reporter, $1.file, $1.line) }
    }

    /// The cases about one subject (an address or a registrant), oldest first.
    public func cases(subject: String) throws -> [EnforcementCase] {
        try database.read { db in
            try EnforcementCase.fetchAll(db, sql: "SELECT * FROM enforcement_case WHERE subject = ? ORDER BY id", arguments: [subject])
        }
    }

    public func enforcementCase(id: String) throws -> (EnforcementCase, [AuditEntry])? {
        try database.read { db in
            guard let item = try EnforcementCase.fetchOne(db, key: id) else { return nil }
            let audit = try AuditEntry.fetchAll(db, sql: "SELECT * FROM audit WHERE case_id = ? ORDER BY id", arguments: [id])
            return (item, audit)
        }
    }

    /// A staff decision: the case's new status, the registration change it implies, and
    /// the audit line, in one transaction.
    @discardableResult
    public func decide(_ decision: CaseDecision, caseID: String, by actor: String, reason: String, at time: Int64) throws -> EnforcementCase {
        try database.write { db in
            guard var item = try EnforcementCase.fetchOne(db, key: caseID) else { throw CaseError(message: "no case \(caseID)") }
            let from = item.caseStatus
            let outcome = try decision.outcome(from: from, suspended: item.priorStatus != nil)
            if let registration = outcome.registration, let ip = IPAddress(item.subject) {
                switch registration {
                case .confirmSuspension:
                    _ = try RegistryStore.recordChange(db, of: ip, to: .suspended, at: time, cause: "approval", source: actor, caseID: item.id, provisional: false)
                case .restorePrior:
                    let prior = RegistrationStatus(rawValue: item.priorStatus ?? "active") ?? .active
                    _ = try RegistryStore.recordChange(
                        db, of: ip, to: prior, at: time, cause: decision == .dismiss ? "dismissal" : "reinstatement", source: actor, caseID: item.id, provisional: false)
                }
            }
            item.status = outcome.to.rawValue
            item.updated = time
            try item.update(db)
            try Self.audit(db, item.id, time, actor, decision.rawValue, from.rawValue, outcome.to.rawValue, reason)
            return item
        }
    }

    /// Writes to the audit log that `actor` exported a case's evidence without
    /// pseudonymising recipients (an admin's choice that discloses mailboxes).
    public func recordUnredactedExport(caseID: String, by actor: String, reason: String, at time: Int64) throws {
        try database.write { db in
            guard let item = try EnforcementCase.fetchOne(db, key: caseID) else { throw CaseError(message: "no case \(caseID)") }
            try Self.audit(db, item.id, time, actor, "evidence exported unredacted", item.status, item.status, reason)
        }
    }

    /// Contradictions recorded for a reporter (possible single-reporter frame-ups).
    public func contradictions(reporter: String) throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT subject || ' ' || rule_id) FROM contradiction WHERE reporter_id = ?", arguments: [reporter]) ?? 0 }
    }
}
