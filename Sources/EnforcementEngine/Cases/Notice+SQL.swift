import Foundation
import RegistryClient

/// A notice row through `SQLSession`, the same on SQLite and PostgreSQL.
extension Notice {
    static let columns = "id, case_id, kind, decision, reason, recipient, status, reply, created, updated, attempts, next_attempt"

    init(row: any SQLRow) throws {
        let statement = "SELECT … FROM notice"
        guard let kind = Kind(rawValue: try row.requiredText(2, statement)) else { throw SQLColumnError(column: 2, expected: "notice kind", statement: statement) }
        guard let status = Status(rawValue: try row.requiredText(6, statement)) else { throw SQLColumnError(column: 6, expected: "notice status", statement: statement) }
        self.init(
            id: try row.required(0, statement), caseID: try row.requiredText(1, statement), kind: kind, decision: try row.text(3), reason: try row.requiredText(4, statement),
            recipient: try row.requiredText(5, statement), status: status, reply: try row.requiredText(7, statement), created: try row.required(8, statement),
            updated: try row.required(9, statement), attempts: Int(try row.required(10, statement)), nextAttempt: try row.required(11, statement))
    }

    /// The columns `values` gives (the id is the database's).
    static let insertedColumns = ["case_id", "kind", "decision", "reason", "recipient", "status", "reply", "created", "updated", "attempts", "next_attempt"]

    var values: [SQLValue] {
        [
            .text(caseID), .text(kind.rawValue), .optional(decision), .text(reason), .text(recipient), .text(status.rawValue), .text(reply), .integer(created),
            .integer(updated), .integer(attempts), .integer(nextAttempt),
        ]
    }

    /// Queues the notice.
    func insert(_ db: any SQLSession) throws {
        try db.insert(into: "notice", columns: Self.insertedColumns, rows: [values])
    }

    /// Writes an attempt's outcome.
    func update(_ db: any SQLSession) throws {
        guard let id else { return }
        try db.execute(
            "UPDATE notice SET status = ?, reply = ?, updated = ?, attempts = ?, next_attempt = ? WHERE id = ?",
            [.text(status.rawValue), .text(reply), .integer(updated), .integer(attempts), .integer(nextAttempt), .integer(id)])
    }
}
