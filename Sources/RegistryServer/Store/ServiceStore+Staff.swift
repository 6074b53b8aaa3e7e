import Foundation
import Primitives
import RegistryClient

/// Staff accounts, their sessions, and the rule files the service has loaded. Every change
/// to an account is audited in the same transaction.
extension ServiceStore {
    public enum StaffFailure: Error, Equatable, CustomStringConvertible {
        case exists(String)
        case noSuchStaff(String)
        case invalidName(String)

        public var description: String {
            switch self {
            case .exists(let name): "staff member '\(name)' exists already"
            case .noSuchStaff(let name): "no staff member '\(name)' (see: abuse-ingest staff list)"
            case .invalidName(let name): "'\(name)' is not a staff name (1 to 64 of letters, digits, '.', '_', '-', '@'; not 'engine')"
            }
        }
    }

    public func addStaff(_ member: StaffMember, by actor: String, now: Int64) throws {
        guard StaffMember.validName(member.name) else { throw StaffFailure.invalidName(member.name) }
        try sql.write { db in
            guard try StaffMember.find(member.name, db) == nil else { throw StaffFailure.exists(member.name) }
            try member.insert(db)
            try Self.audit(db, time: now, actor: actor, action: "staff.add", subject: member.name, detail: "role \(member.role.rawValue)")
        }
    }

    public func staff() throws -> [StaffMember] {
        try sql.read { db in try db.rows("SELECT \(StaffMember.columns) FROM staff ORDER BY name", [], StaffMember.init(row:)) }
    }

    public func staffMember(_ name: String) throws -> StaffMember? {
        try sql.read { db in try StaffMember.find(name, db) }
    }

    /// Changes one account (`change` edits it) and ends its sessions when `endSessions`.
    public func updateStaff(_ name: String, by actor: String, action: String, detail: String = "", now: Int64, endSessions: Bool, change: (inout StaffMember) -> Void) throws {
        try sql.write { db in
            guard var member = try StaffMember.find(name, db) else { throw StaffFailure.noSuchStaff(name) }
            change(&member)
            try member.update(db)
            if endSessions { try db.execute("DELETE FROM staff_session WHERE staff_name = ?", [.text(name)]) }
            try Self.audit(db, time: now, actor: actor, action: action, subject: name, detail: detail)
        }
    }

    /// A failed login: counts it, and locks the account for `lock` ms at `threshold`
    /// failures in a row. Returns the lock's end when this failure locked it.
    public func recordLoginFailure(_ name: String, client: String, now: Int64, threshold: Int, lock: Int64) throws -> Int64? {
        try sql.write { db in
            guard var member = try StaffMember.find(name, db) else { return nil }
            member.failedLogins += 1
            var locked: Int64?
            if member.failedLogins >= threshold {
                member.lockedUntil = now + lock
                member.failedLogins = 0
                locked = member.lockedUntil
                try Self.audit(
                    db, time: now, actor: name, action: "staff.lock", subject: name,
                    detail: "\(threshold) failed logins; locked until \(ISOTime.format(millis: member.lockedUntil, fraction: false)) (last from \(client))")
            } else {
                try Self.audit(db, time: now, actor: name, action: "login.failure", subject: name, detail: "from \(client)")
            }
            try member.update(db)
            return locked
        }
    }

    /// Takes a TOTP time step for `name` when it is later than the last one taken (a code
    /// is good once).
    public func takeTOTPStep(_ name: String, step: Int64) throws -> Bool {
        try sql.write { db in
            try db.exists("UPDATE staff SET totp_last_step = ? WHERE name = ? AND totp_last_step < ? RETURNING name", [.integer(step), .text(name), .integer(step)])
        }
    }

    // MARK: Sessions

    /// A new session for `name` (login): failures reset, the login audited.
    public func createSession(_ session: StaffSession, now: Int64) throws {
        try sql.write { db in
            try db.execute("UPDATE staff SET failed_logins = 0 WHERE name = ?", [.text(session.staffName)])
            try session.insert(db)
            try Self.audit(db, time: now, actor: session.staffName, action: "login", subject: session.staffName, detail: "from \(session.client)")
        }
    }

    /// The session with this id hash and its staff member.
    public func session(idSHA256: Data) throws -> (StaffSession, StaffMember)? {
        try sql.read { db in
            guard let session = try db.first("SELECT \(StaffSession.columns) FROM staff_session WHERE id_sha256 = ?", [.blob(Array(idSHA256))], StaffSession.init(row:)),
                let member = try StaffMember.find(session.staffName, db)
            else { return nil }
            return (session, member)
        }
    }

    public func touchSession(idSHA256: Data, at time: Int64) throws {
        try sql.write { db in try db.execute("UPDATE staff_session SET last_seen_at = ? WHERE id_sha256 = ?", [.integer(time), .blob(Array(idSHA256))]) }
    }

    /// Ends a session (logout, expiry); `reason` goes to the audit log when given.
    public func endSession(idSHA256: Data, actor: String?, reason: String?, now: Int64) throws {
        try sql.write { db in
            try db.execute("DELETE FROM staff_session WHERE id_sha256 = ?", [.blob(Array(idSHA256))])
            if let actor, let reason { try Self.audit(db, time: now, actor: actor, action: "logout", subject: actor, detail: reason) }
        }
    }

    /// Removes sessions past their absolute or idle limit.
    public func pruneSessions(createdBefore: Int64, idleBefore: Int64) throws {
        try sql.write { db in
            try db.execute("DELETE FROM staff_session WHERE created_at < ? OR last_seen_at < ?", [.integer(createdBefore), .integer(idleBefore)])
        }
    }

    /// One line of the service audit log (staff actions that are no case decision).
    public func recordAudit(actor: String, action: String, subject: String, detail: String, now: Int64) throws {
        try sql.write { db in try Self.audit(db, time: now, actor: actor, action: action, subject: subject, detail: detail) }
    }

    /// Service audit lines newest first, filtered like the case audit log.
    public func auditLog(actor: String? = nil, subject: String? = nil, from: Int64? = nil, to: Int64? = nil, limit: Int) throws -> [AuditEntry] {
        var conditions = SQLConditions()
        conditions.equal("actor", actor)
        conditions.equal("subject", subject)
        conditions.atLeast("time", from)
        conditions.below("time", to)
        return try sql.read { db in
            try db.rows(
                "SELECT \(AuditEntry.columns) FROM service_audit WHERE \(conditions.clause) ORDER BY time DESC, id DESC LIMIT ?",
                conditions.arguments + [.integer(max(1, limit))], AuditEntry.init(row:))
        }
    }

    // MARK: Rule files

    /// Keeps the text of a rules file by its SHA-256 (cases name the hash of the file their
    /// rule came from; the review page shows that text even after the file changed).
    public func recordRuleFile(sha256: String, name: String, text: String, now: Int64) throws {
        try sql.write { db in
            try db.execute(
                "INSERT INTO rule_file (sha256, name, text, first_loaded_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [.text(sha256), .text(name), .text(text), .integer(now)])
        }
    }

    /// The name and text of the rules file with this SHA-256, when the service loaded it.
    public func ruleFile(sha256: String) throws -> (name: String, text: String)? {
        try sql.read { db in
            try db.first("SELECT name, text FROM rule_file WHERE sha256 = ?", [.text(sha256)]) { (try $0.requiredText(0), try $0.requiredText(1)) }
        }
    }
}
