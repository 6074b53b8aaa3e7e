import Foundation
import RegistryClient

/// An upload row through `SQLSession`, the same on SQLite and PostgreSQL.
extension UploadRecord {
    static let columns = "reporter_id, sha256, name, received_at, bytes, status, spool_file, lines, events, unparsed, first_event, last_event, error"

    init(row: any SQLRow) throws {
        let statement = "SELECT … FROM upload"
        guard let status = Status(rawValue: try row.requiredText(5, statement)) else { throw SQLColumnError(column: 5, expected: "upload status", statement: statement) }
        self.init(
            reporterID: try row.requiredText(0, statement), sha256: try row.requiredText(1, statement), name: try row.requiredText(2, statement),
            receivedAt: try row.required(3, statement), bytes: try row.required(4, statement), status: status, spoolFile: try row.text(6))
        lines = Int(try row.required(7, statement))
        events = Int(try row.required(8, statement))
        unparsed = Int(try row.required(9, statement))
        firstEvent = try row.text(10)
        lastEvent = try row.text(11)
        error = try row.text(12)
    }

    private var values: [SQLValue] {
        [
            .text(reporterID), .text(sha256), .text(name), .integer(receivedAt), .integer(bytes), .text(status.rawValue), .optional(spoolFile), .integer(lines),
            .integer(events), .integer(unparsed), .optional(firstEvent), .optional(lastEvent), .optional(error),
        ]
    }

    func insert(_ db: any SQLSession) throws {
        try db.execute("INSERT INTO upload (\(Self.columns)) VALUES (\(Array(repeating: "?", count: 13).joined(separator: ", ")))", values)
    }

    func update(_ db: any SQLSession) throws {
        try db.execute(
            """
            UPDATE upload SET name = ?, received_at = ?, bytes = ?, status = ?, spool_file = ?, lines = ?, events = ?, unparsed = ?,
                first_event = ?, last_event = ?, error = ?
            WHERE reporter_id = ? AND sha256 = ?
            """, Array(values.dropFirst(2)) + [.text(reporterID), .text(sha256)])
    }

    static func find(reporter: String, sha256: String, _ db: any SQLSession) throws -> UploadRecord? {
        try db.first("SELECT \(columns) FROM upload WHERE reporter_id = ? AND sha256 = ?", [.text(reporter), .text(sha256)], UploadRecord.init(row:))
    }
}
