import Foundation
import RegistryClient

/// A reporter row through `SQLSession`, the same on SQLite and PostgreSQL.
extension Reporter {
    /// The columns `init(row:)` reads, in its order.
    static let columns = "id, name, organisation, timezone, unparsed_threshold, created_at"

    /// Reads a row of `columns`.
    init(row: any SQLRow) throws {
        let statement = "SELECT … FROM reporter"
        guard let threshold = try row.real(4) else { throw SQLColumnError(column: 4, expected: "real", statement: statement) }
        self.init(
            id: try row.requiredText(0, statement), name: try row.requiredText(1, statement), organisation: try row.requiredText(2, statement),
            timezone: try row.requiredText(3, statement), unparsedThreshold: threshold, createdAt: try row.required(5, statement))
    }

    func insert(_ db: any SQLSession) throws {
        try db.execute(
            "INSERT INTO reporter (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?)",
            [.text(id), .text(name), .text(organisation), .text(timezone), .real(unparsedThreshold), .integer(createdAt)])
    }
}
