import Foundation
import GRDB
import Primitives
import RegistryClient

extension Rule.Subject: DatabaseValueConvertible {}
extension Rule.Action: DatabaseValueConvertible {}
extension Rule.Severity: DatabaseValueConvertible {}
extension EnforcementCase.Status: DatabaseValueConvertible {}

extension EnforcementCase {
    /// A stored value that does not decode (a damaged database, or one written by something
    /// else): reading the case fails with what and where, never a default.
    public struct CorruptField: Error, CustomStringConvertible {
        public var caseID: String
        public var field: String
        public var cause: String
        public var description: String { "case \(caseID): the stored \(field) does not decode (\(cause))" }
    }

    /// Reads a row field by field, each failure a `CorruptField` naming the case and column.
    public init(row: Row) throws {
        let id = (try? row.decode(String.self, forColumn: CodingKeys.id.rawValue)) ?? "?"
        func field<T: DatabaseValueConvertible>(_ key: CodingKeys, _ type: T.Type = T.self) throws(CorruptField) -> T {
            do {
                return try row.decode(type, forColumn: key.rawValue)
            } catch {
                throw CorruptField(caseID: id, field: key.rawValue, cause: "not a \(T.self)")
            }
        }
        func json<T: Decodable>(_ key: CodingKeys, _ type: T.Type) throws(CorruptField) -> T? {
            let stored: String?
            do {
                stored = try row.decode(String?.self, forColumn: key.rawValue)
            } catch {
                throw CorruptField(caseID: id, field: key.rawValue, cause: "not text")
            }
            guard let text = stored else { return nil }
            do {
                return try CanonicalJSON.decode(type, from: Data(text.utf8))
            } catch {
                throw CorruptField(caseID: id, field: key.rawValue, cause: "\(error)")
            }
        }
        self.id = try field(.id)
        subject = try field(.subject)
        subjectKind = try field(.subjectKind)
        registrant = try field(.registrant)
        ruleID = try field(.ruleID)
        ruleSHA256 = try field(.ruleSHA256)
        action = try field(.action)
        severity = try field(.severity)
        status = try field(.status)
        opened = try field(.opened)
        updated = try field(.updated)
        windowStart = try field(.windowStart)
        windowEnd = try field(.windowEnd)
        guard let figures = try json(.figures, CaseFigures.self) else { throw CorruptField(caseID: id, field: "figures", cause: "missing") }
        self.figures = figures
        guard let reporters = try json(.reporters, [String].self) else { throw CorruptField(caseID: id, field: "reporters", cause: "missing") }
        self.reporters = reporters
        registration = try json(.registration, RegistrationRecord.self)
        let prior: String? = try field(.priorStatus)
        if let prior {
            guard let status = RegistrationStatus(rawValue: prior) else { throw CorruptField(caseID: id, field: CodingKeys.priorStatus.rawValue, cause: "unknown status '\(prior)'") }
            priorStatus = status
        } else {
            priorStatus = nil
        }
    }
}
