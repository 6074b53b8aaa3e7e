import Foundation
import RegistryClient

/// A staff row through `SQLSession`, the same on SQLite and PostgreSQL.
extension StaffMember {
    static let columns = "name, role, password_hash, totp_secret, totp_last_step, created_at, disabled_at, failed_logins, locked_until"

    init(row: any SQLRow) throws {
        let statement = "SELECT … FROM staff"
        guard let role = Role(rawValue: try row.requiredText(1, statement)) else { throw SQLColumnError(column: 1, expected: "staff role", statement: statement) }
        self.init(
            name: try row.requiredText(0, statement), role: role, passwordHash: try row.requiredText(2, statement), totpSecret: try row.text(3),
            totpLastStep: try row.required(4, statement), createdAt: try row.required(5, statement), disabledAt: try row.integer(6),
            failedLogins: Int(try row.required(7, statement)), lockedUntil: try row.required(8, statement))
    }

    private var values: [SQLValue] {
        [
            .text(name), .text(role.rawValue), .text(passwordHash), .optional(totpSecret), .integer(totpLastStep), .integer(createdAt), .optional(disabledAt),
            .integer(failedLogins), .integer(lockedUntil),
        ]
    }

    func insert(_ db: any SQLSession) throws {
        try db.execute("INSERT INTO staff (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
    }

    func update(_ db: any SQLSession) throws {
        try db.execute(
            """
            UPDATE staff SET role = ?, password_hash = ?, totp_secret = ?, totp_last_step = ?, created_at = ?, disabled_at = ?, failed_logins = ?,
                locked_until = ?
            WHERE name = ?
            """, Array(values.dropFirst()) + [.text(name)])
    }

    static func find(_ name: String, _ db: any SQLSession) throws -> StaffMember? {
        try db.first("SELECT \(columns) FROM staff WHERE name = ?", [.text(name)], StaffMember.init(row:))
    }
}

/// A session row through `SQLSession`.
extension StaffSession {
    static let columns = "id_sha256, staff_name, csrf_token, created_at, last_seen_at, client"

    init(row: any SQLRow) throws {
        let statement = "SELECT … FROM staff_session"
        guard let id = try row.bytes(0) else { throw SQLColumnError(column: 0, expected: "blob", statement: statement) }
        self.init(
            idSHA256: Data(id), staffName: try row.requiredText(1, statement), csrfToken: try row.requiredText(2, statement), createdAt: try row.required(3, statement),
            lastSeenAt: try row.required(4, statement), client: try row.requiredText(5, statement))
    }

    func insert(_ db: any SQLSession) throws {
        try db.execute(
            "INSERT INTO staff_session (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?)",
            [.blob(Array(idSHA256)), .text(staffName), .text(csrfToken), .integer(createdAt), .integer(lastSeenAt), .text(client)])
    }
}
