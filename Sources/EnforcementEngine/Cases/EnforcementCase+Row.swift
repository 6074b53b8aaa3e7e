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

extension EnforcementCase {
    /// Writes the row column by column (an evaluation may insert tens of thousands of cases:
    /// figures and reporters as hand-written JSON, no JSON encoder per row).
    public func encode(to container: inout PersistenceContainer) throws {
        container[CodingKeys.id.rawValue] = id
        container[CodingKeys.subject.rawValue] = subject
        container[CodingKeys.subjectKind.rawValue] = subjectKind
        container[CodingKeys.registrant.rawValue] = registrant
        container[CodingKeys.ruleID.rawValue] = ruleID
        container[CodingKeys.ruleSHA256.rawValue] = ruleSHA256
        container[CodingKeys.action.rawValue] = action
        container[CodingKeys.severity.rawValue] = severity
        container[CodingKeys.status.rawValue] = status
        container[CodingKeys.opened.rawValue] = opened
        container[CodingKeys.updated.rawValue] = updated
        container[CodingKeys.windowStart.rawValue] = windowStart
        container[CodingKeys.windowEnd.rawValue] = windowEnd
        container[CodingKeys.figures.rawValue] = figures.json
        var list: [UInt8] = [UInt8(ascii: "[")]
        for (i, reporter) in reporters.enumerated() {
            if i > 0 { list.append(UInt8(ascii: ",")) }
            JSONBytes.appendString(reporter, to: &list)
        }
        list.append(UInt8(ascii: "]"))
        container[CodingKeys.reporters.rawValue] = String(decoding: list, as: UTF8.self)
        container[CodingKeys.registration.rawValue] = try registration.map { try CanonicalJSON.string($0) }
        container[CodingKeys.priorStatus.rawValue] = priorStatus?.rawValue
    }
}
