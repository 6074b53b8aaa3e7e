import Foundation
import GRDB
import LogParsers
import Primitives
import RegistryClient

/// A case staff review (table `enforcement_case`): who, which rule, what was seen, and
/// where it stands. Every change of status is also an `audit` row.
public struct EnforcementCase: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "enforcement_case"

    public enum Status: String, Codable, Sendable, CaseIterable {
        case open, suspended, confirmed, dismissed, reinstated
    }

    /// `C-YYYY-NNNNNN`.
    public var id: String
    public var subject: String
    public var subjectKind: String
    public var registrant: String?
    public var ruleID: String
    public var ruleSHA256: String
    public var action: String
    public var severity: String
    public var status: String
    public var opened: Int64
    public var updated: Int64
    public var windowStart: Int64
    public var windowEnd: Int64
    /// JSON: condition results and counts per reporter.
    public var figures: String
    /// JSON array of the accusing reporters.
    public var reporters: String
    /// JSON of the registration record in force when the case opened.
    public var registration: String?
    /// The registration status before the engine suspended it (restored on dismissal).
    public var priorStatus: String?

    enum CodingKeys: String, CodingKey {
        case id, subject
        case subjectKind = "subject_kind"
        case registrant
        case ruleID = "rule_id"
        case ruleSHA256 = "rule_sha256"
        case action, severity, status, opened, updated
        case windowStart = "window_start"
        case windowEnd = "window_end"
        case figures, reporters, registration
        case priorStatus = "prior_status"
    }

    public var caseStatus: Status { Status(rawValue: status) ?? .open }

    /// A stored value that does not decode: the database was damaged or written by
    /// something else. Never shown as empty.
    public struct CorruptField: Error, CustomStringConvertible {
        public var caseID: String
        public var field: String
        public var cause: String
        public var description: String { "case \(caseID): the stored \(field) does not decode (\(cause))" }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ json: String, field: String) throws(CorruptField) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(json.utf8))
        } catch {
            throw CorruptField(caseID: id, field: field, cause: "\(error)")
        }
    }

    /// What the case rests on.
    public func decodedFigures() throws(CorruptField) -> CaseFigures { try decode(CaseFigures.self, figures, field: "figures") }

    /// The accusing reporters.
    public func decodedReporters() throws(CorruptField) -> [String] { try decode([String].self, reporters, field: "reporters") }

    /// The registration in force when the case opened (nil: the subject was not registered).
    public func registrationRecord() throws(CorruptField) -> RegistrationRecord? {
        try registration.map { json throws(CorruptField) in try decode(RegistrationRecord.self, json, field: "registration") }
    }

    /// The addresses the case is about: the subject's, or a registrant's from its figures.
    public func addresses() throws(CorruptField) -> [IPAddress] {
        if let ip = IPAddress(subject) { return [ip] }
        return try decodedFigures().addresses?.compactMap(IPAddress.init) ?? []
    }
}

/// One line of the append-only audit log.
public struct AuditEntry: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "audit"

    public var id: Int64?
    public var caseID: String
    public var time: Int64
    /// `engine` or a staff member's name.
    public var actor: String
    public var action: String
    public var fromStatus: String?
    public var toStatus: String?
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case id
        case caseID = "case_id"
        case time, actor, action
        case fromStatus = "from_status"
        case toStatus = "to_status"
        case reason
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
