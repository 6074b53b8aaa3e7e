import Foundation
import RegistryClient

/// A token row through `SQLSession`, the same on SQLite and PostgreSQL.
extension ReporterToken {
    static let columns = "id, reporter_id, sha256, created_at, expires_at, revoked_at"

    init(row: any SQLRow) throws {
        let statement = "SELECT … FROM reporter_token"
        guard let hash = try row.bytes(2) else { throw SQLColumnError(column: 2, expected: "blob", statement: statement) }
        self.init(
            id: try row.requiredText(0, statement), reporterID: try row.requiredText(1, statement), sha256: Data(hash), createdAt: try row.required(3, statement),
            expiresAt: try row.integer(4), revokedAt: try row.integer(5))
    }

    func insert(_ db: any SQLSession) throws {
        try db.execute(
            "INSERT INTO reporter_token (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?)",
            [.text(id), .text(reporterID), .blob(Array(sha256)), .integer(createdAt), .optional(expiresAt), .optional(revokedAt)])
    }

    static func find(_ id: String, _ db: any SQLSession) throws -> ReporterToken? {
        try db.first("SELECT \(columns) FROM reporter_token WHERE id = ?", [.text(id)], ReporterToken.init(row:))
    }
}
