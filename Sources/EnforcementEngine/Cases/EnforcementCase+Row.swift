import Foundation
import Primitives
import RegistryClient

extension EnforcementCase {
    /// A stored value that does not decode (a damaged database, or one written by something
    /// else): reading the case fails with what and where, never a default.
    public struct CorruptField: Error, CustomStringConvertible {
        public var caseID: String
        public var field: String
        public var cause: String
        public var description: String { "case \(caseID): the stored \(field) does not decode (\(cause))" }
    }

    /// The columns `init(row:)` reads and `values` gives, in the table's order.
    static let columns =
        "id, subject, subject_kind, registrant, rule_id, rule_sha256, action, severity, status, opened, updated, window_start, window_end, figures, reporters, registration, prior_status"

    /// Reads a row of `columns` field by field, each failure a `CorruptField` naming the
    /// case and column.
    init(row: any SQLRow) throws {
        let id = (try? row.text(0)) ?? "?"
        func text(_ column: Int, _ name: String) throws(CorruptField) -> String? {
            do {
                return try row.text(column)
            } catch {
                throw CorruptField(caseID: id, field: name, cause: "not text")
            }
        }
        func required(_ column: Int, _ name: String) throws(CorruptField) -> String {
            guard let value = try text(column, name) else { throw CorruptField(caseID: id, field: name, cause: "missing") }
            return value
        }
        func known<T: RawRepresentable<String>>(_ column: Int, _ name: String, _ type: T.Type) throws(CorruptField) -> T {
            let stored = try required(column, name)
            guard let value = T(rawValue: stored) else { throw CorruptField(caseID: id, field: name, cause: "unknown value '\(stored)'") }
            return value
        }
        func time(_ column: Int, _ name: String) throws(CorruptField) -> Int64 {
            do {
                guard let value = try row.integer(column) else { throw CorruptField(caseID: id, field: name, cause: "missing") }
                return value
            } catch let error as CorruptField {
                throw error
            } catch {
                throw CorruptField(caseID: id, field: name, cause: "not an integer")
            }
        }
        func json<T: Decodable>(_ column: Int, _ name: String, _ type: T.Type) throws(CorruptField) -> T? {
            guard let stored = try text(column, name) else { return nil }
            do {
                return try CanonicalJSON.decode(type, from: Data(stored.utf8))
            } catch {
                throw CorruptField(caseID: id, field: name, cause: "\(error)")
            }
        }
        self.id = try required(0, "id")
        subject = try required(1, "subject")
        subjectKind = try known(2, "subject_kind", Rule.Subject.self)
        registrant = try text(3, "registrant")
        ruleID = try required(4, "rule_id")
        ruleSHA256 = try required(5, "rule_sha256")
        action = try known(6, "action", Rule.Action.self)
        severity = try known(7, "severity", Rule.Severity.self)
        status = try known(8, "status", Status.self)
        opened = try time(9, "opened")
        updated = try time(10, "updated")
        windowStart = try time(11, "window_start")
        windowEnd = try time(12, "window_end")
        guard let figures = try json(13, "figures", CaseFigures.self) else { throw CorruptField(caseID: self.id, field: "figures", cause: "missing") }
        self.figures = figures
        guard let reporters = try json(14, "reporters", [String].self) else { throw CorruptField(caseID: self.id, field: "reporters", cause: "missing") }
        self.reporters = reporters
        registration = try json(15, "registration", RegistrationRecord.self)
        if let prior = try text(16, "prior_status") {
            guard let status = RegistrationStatus(rawValue: prior) else { throw CorruptField(caseID: self.id, field: "prior_status", cause: "unknown status '\(prior)'") }
            priorStatus = status
        } else {
            priorStatus = nil
        }
    }
}

extension EnforcementCase {
    /// The row's values in `columns` order (an evaluation may insert tens of thousands of
    /// cases: figures and reporters as hand-written JSON, no JSON encoder per row).
    func values() throws -> [SQLValue] {
        var list: [UInt8] = [UInt8(ascii: "[")]
        for (i, reporter) in reporters.enumerated() {
            if i > 0 { list.append(UInt8(ascii: ",")) }
            JSONBytes.appendString(reporter, to: &list)
        }
        list.append(UInt8(ascii: "]"))
        return [
            .text(id), .text(subject), .text(subjectKind.rawValue), .optional(registrant), .text(ruleID), .text(ruleSHA256), .text(action.rawValue),
            .text(severity.rawValue), .text(status.rawValue), .integer(opened), .integer(updated), .integer(windowStart), .integer(windowEnd),
            .text(figures.json), .text(String(decoding: list, as: UTF8.self)), .optional(try registration.map { try CanonicalJSON.string($0) }),
            .optional(priorStatus?.rawValue),
        ]
    }

    /// Writes what may change of a case: its status and when.
    func update(_ db: any SQLSession) throws {
        try db.execute("UPDATE enforcement_case SET status = ?, updated = ? WHERE id = ?", [.text(status.rawValue), .integer(updated), .text(id)])
    }

    /// The case with this id.
    static func find(_ id: String, _ db: any SQLSession) throws -> EnforcementCase? {
        try db.first("SELECT \(columns) FROM enforcement_case WHERE id = ?", [.text(id)], EnforcementCase.init(row:))
    }
}

extension AuditEntry {
    static let columns = "id, case_id, time, actor, action, from_status, to_status, reason"

    init(row: any SQLRow) throws {
        let statement = "SELECT … FROM audit"
        func status(_ column: Int) throws -> EnforcementCase.Status? {
            guard let text = try row.text(column) else { return nil }
            guard let status = EnforcementCase.Status(rawValue: text) else { throw SQLColumnError(column: column, expected: "case status", statement: statement) }
            return status
        }
        self.init(
            id: try row.required(0, statement), caseID: try row.requiredText(1, statement), time: try row.required(2, statement), actor: try row.requiredText(3, statement),
            action: try row.requiredText(4, statement), fromStatus: try status(5), toStatus: try status(6), reason: try row.requiredText(7, statement))
    }

    /// The columns `values` gives (the id is the database's).
    static let insertedColumns = ["case_id", "time", "actor", "action", "from_status", "to_status", "reason"]

    var values: [SQLValue] {
        [.text(caseID), .integer(time), .text(actor), .text(action), .optional(fromStatus?.rawValue), .optional(toStatus?.rawValue), .text(reason)]
    }

    /// Appends the line to the case's audit log.
    func append(_ db: any SQLSession) throws {
        try db.insert(into: "audit", columns: Self.insertedColumns, rows: [values])
    }
}
