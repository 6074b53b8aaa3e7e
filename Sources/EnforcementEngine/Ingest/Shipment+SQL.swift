import Foundation
import RegistryClient

/// A shipment row through `SQLSession`, the same on SQLite and PostgreSQL.
extension Shipment {
    /// The columns `init(row:)` reads, in its order.
    package static let columns =
        "id, reporter_id, sha256, file_name, status, received_at, bytes, lines, events, skipped, unparsed, first_event, last_event, future_events, distant_events, gap_hours, error"

    /// Reads a row of `columns`.
    package init(row: any SQLRow) throws {
        let statement = "SELECT … FROM shipment"
        let status = try row.requiredText(4, statement)
        guard let known = FileOutcome.Status(rawValue: status) else { throw SQLColumnError(column: 4, expected: "shipment status", statement: statement) }
        func int(_ column: Int) throws -> Int { Int(try row.required(column, statement)) }
        self.init(
            id: try row.required(0, statement), reporterID: try row.requiredText(1, statement), sha256: try row.requiredText(2, statement),
            fileName: try row.requiredText(3, statement), status: known, receivedAt: try row.required(5, statement), bytes: try row.required(6, statement),
            lines: try int(7), events: try int(8), skipped: try int(9), unparsed: try int(10), firstEvent: try row.integer(11), lastEvent: try row.integer(12),
            futureEvents: try int(13), distantEvents: try int(14), gapHours: try int(15), error: try row.text(16))
    }

    /// Inserts the row and returns its id; nil, and nothing written, when it is an ingested
    /// shipment whose bytes are ingested already (the unique index on ingested digests).
    func insert(_ db: any SQLSession) throws -> Int64? {
        try db.first(
            """
            INSERT INTO shipment (reporter_id, sha256, file_name, status, received_at, bytes, lines, events, skipped, unparsed,
                first_event, last_event, future_events, distant_events, gap_hours, error)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (sha256) WHERE status = 'ingested' DO NOTHING RETURNING id
            """,
            [
                .text(reporterID), .text(sha256), .text(fileName), .text(status.rawValue), .integer(receivedAt), .integer(bytes), .integer(lines),
                .integer(events), .integer(skipped), .integer(unparsed), .optional(firstEvent), .optional(lastEvent), .integer(futureEvents),
                .integer(distantEvents), .integer(gapHours), .optional(error),
            ]
        ) { try $0.required(0) }
    }

    /// Whether this very shipment (reporter, file, bytes, receipt time) is stored as
    /// ingested: a commit whose connection was lost at COMMIT may have gone through.
    func isStored(_ db: any SQLSession) throws -> Bool {
        try db.exists(
            "SELECT 1 FROM shipment WHERE sha256 = ? AND status = 'ingested' AND reporter_id = ? AND file_name = ? AND received_at = ?",
            [.text(sha256), .text(reporterID), .text(fileName), .integer(receivedAt)])
    }
}
