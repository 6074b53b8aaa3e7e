import Foundation
import GRDB
import Primitives

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
        try database.write { db in
            guard try StaffMember.fetchOne(db, key: member.name) == nil else { throw StaffFailure.exists(member.name) }
            try member.insert(db)
            try Self.audit(db, time: now, actor: actor, action: "staff.add", subject: member.name, detail: "role \(member.role.rawValue)")
        }
    }

    public func staff() throws -> [StaffMember] {
        try database.read { db in try StaffMember.order(Column("name")).fetchAll(db) }
    }

    public func staffMember(_ name: String) throws -> StaffMember? {
        try database.read { db in try StaffMember.fetchOne(db, key: name) }
    }

    /// Changes one account (`change` edits it) and ends its sessions when `endSessions`.
    public func updateStaff(_ name: String, by actor: String, action: String, detail: String = "", now: Int64, endSessions: Bool, change: (inout StaffMember) -> Void) throws {
        try database.write { db in
            guard var member = try StaffMember.fetchOne(db, key: name) else { throw StaffFailure.noSuchStaff(name) }
            change(&member)
            try member.update(db)
            if endSessions { try db.execute(sql: "DELETE FROM staff_session WHERE staff_name = ?", arguments: [name]) }
            try Self.audit(db, time: now, actor: actor, action: action, subject: name, detail: detail)
        }
    }

    /// A failed login: counts it, and locks the account for `lock` ms at `threshold`
    /// failures in a row. Returns the lock's end when this failure locked it.
    public func recordLoginFailure(_ name: String, client: String, now: Int64, threshold: Int, lock: Int64) throws -> Int64? {
        try database.write { db in
            guard var member = try StaffMember.fetchOne(db, key: name) else { return nil }
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
        try database.write { db in
            try db.execute(sql: "UPDATE staff SET totp_last_step = ? WHERE name = ? AND totp_last_step < ?", arguments: [step, name, step])
            return db.changesCount == 1
        }
    }

    // MARK: Sessions

    /// A new session for `name` (login): failures reset, the login audited.
    public func createSession(_ session: StaffSession, now: Int64) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE staff SET failed_logins = 0 WHERE name = ?", arguments: [session.staffName])
            try session.insert(db)
            try Self.audit(db, time: now, actor: session.staffName, action: "login", subject: session.staffName, detail: "from \(session.client)")
        }
    }

    /// The session with this id hash and its staff member.
    public func session(idSHA256: Data) throws -> (StaffSession, StaffMember)? {
        try database.read { db in
            guard let session = try StaffSession.fetchOne(db, key: idSHA256), let member = try StaffMember.fetchOne(db, key: session.staffName) else { return nil }
            return (session, member)
        }
    }

    public func touchSession(idSHA256: Data, at time: Int64) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE staff_session SET last_seen_at = ? WHERE id_sha256 = ?", arguments: [time, idSHA256])
        }
    }

    /// Ends a session (logout, expiry); `reason` goes to the audit log when given.
    public func endSession(idSHA256: Data, actor: String?, reason: String?, now: Int64) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM staff_session WHERE id_sha256 = ?", arguments: [idSHA256])
            if let actor, let reason { try Self.audit(db, time: now, actor: actor, action: "logout", subject: actor, detail: reason) }
        }
    }

    /// Removes sessions past their absolute or idle limit.
    public func pruneSessions(createdBefore: Int64, idleBefore: Int64) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM staff_session WHERE created_at < ? OR last_seen_at < ?", arguments: [createdBefore, idleBefore])
        }
    }

    /// One line of the service audit log (staff actions that are no case decision).
    public func recordAudit(actor: String, action: String, subject: String, detail: String, now: Int64) throws {
        try database.write { db in try Self.audit(db, time: now, actor: actor, action: action, subject: subject, detail: detail) }
    }

    /// Service audit lines newest first, filtered like the case audit log.
    public func auditLog(actor: String? = nil, subject: String? = nil, from: Int64? = nil, to: Int64? = nil, limit: Int) throws -> [AuditEntry] {
        var conditions = ["1"]
        var arguments: [any DatabaseValueConvertible] = []
        if let actor {
            conditions.append("actor = ?")
            arguments.append(actor)
        }
        if let subject {
            conditions.append("subject = ?")
            arguments.append(subject)
        }
        if let from {
            conditions.append("time >= ?")
            arguments.append(from)
        }
        if let to {
            conditions.append("time < ?")
            arguments.append(to)
        }
        return try database.read { db in
            try AuditEntry.fetchAll(
                db, sql: "SELECT * FROM service_audit WHERE \(conditions.joined(separator: " AND ")) ORDER BY time DESC, id DESC LIMIT ?",
                arguments: StatementArguments(arguments + [max(1, limit)]))
        }
    }

    // MARK: Rule files

    /// Keeps the text of a rules file by its SHA-256 (cases name the hash of the file their
    /// rule came from; the review page shows that text even after the file changed).
    public func recordRuleFile(sha256: String, name: String, text: String, now: Int64) throws {
        try database.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO rule_file (sha256, name, text, first_loaded_at) VALUES (?, ?, ?, ?)", arguments: [sha256, name, text, now])
        }
    }

    /// The name and text of the rules file with this SHA-256, when the service loaded it.
    public func ruleFile(sha256: String) throws -> (name: String, text: String)? {
        try database.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT name, text FROM rule_file WHERE sha256 = ?", arguments: [sha256]) else { return nil }
            return (row["name"], row["text"])
        }
    }
}
