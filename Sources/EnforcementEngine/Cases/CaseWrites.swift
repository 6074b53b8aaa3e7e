import Foundation
import RegistryClient

/// The new rows of an evaluation (cases, their audit lines, notices), kept until the end of
/// its transaction and written many rows a statement, cases first (the others name them):
/// on PostgreSQL a row a statement cost a round trip each, three for most matches.
struct CaseWrites {
    private var cases: [[SQLValue]] = []
    private var audit: [[SQLValue]] = []
    private var notices: [[SQLValue]] = []

    mutating func add(_ item: EnforcementCase) throws { cases.append(try item.values()) }
    mutating func add(_ line: AuditEntry) { audit.append(line.values) }
    mutating func add(_ notice: Notice) { notices.append(notice.values) }

    /// Writes what was added, in the order it was added.
    mutating func flush(_ db: any SQLSession) throws {
        try db.insert(into: "enforcement_case", columns: EnforcementCase.columns.components(separatedBy: ", "), rows: cases)
        try db.insert(into: "audit", columns: AuditEntry.insertedColumns, rows: audit)
        try db.insert(into: "notice", columns: Notice.insertedColumns, rows: notices)
        self = CaseWrites()
    }
}
