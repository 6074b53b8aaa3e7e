import Foundation
import GRDB
import LogParsers
import Primitives

/// What a case rests on: each condition's figure against its threshold, and per reporter
/// the counts by `kind` and `kind.reason` in the window; for a registrant, its addresses.
/// Stored with the case as JSON (keys sorted), written by hand: an evaluation may open tens
/// of thousands of cases.
public struct CaseFigures: Codable, Sendable, Equatable {
    public var conditions: [ConditionResult]
    public var reporters: [String: [String: Int]]
    /// The addresses behind a registrant subject (absent for an IP subject).
    public var addresses: [String]?

    public init(conditions: [ConditionResult], reporters: [String: [String: Int]], addresses: [String]? = nil) {
        self.conditions = conditions
        self.reporters = reporters
        self.addresses = addresses
    }

    /// The figures of a rule's match: its conditions, the counts of every reporter named.
    public init(_ match: RuleMatch) {
        conditions = match.results
        var named: [String: [String: Int]] = [:]
        for (reporter, counts) in match.figures.perReporter {
            var byName: [String: Int] = [:]
            for (code, count) in counts {
                guard let kind = EventKind(rawValue: UInt8(code >> 8)) else { continue }
                byName[kind.name, default: 0] += count
                if let reason = RejectReason(rawValue: UInt8(code & 0xFF)) { byName["\(kind.name).\(reason.name)", default: 0] += count }
            }
            named[reporter] = byName
        }
        reporters = named
        addresses = match.subjectKind == .registrant ? match.addresses.map(\.description) : nil
    }

    /// The JSON, keys sorted: `{"addresses":[…],"conditions":[…],"reporters":{…}}`.
    public var json: String {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(UInt8(ascii: "{"))
        if let addresses {
            JSONBytes.appendLiteral("\"addresses\":[", to: &out)
            for (i, address) in addresses.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONBytes.appendString(address, to: &out)
            }
            JSONBytes.appendLiteral("],", to: &out)
        }
        JSONBytes.appendLiteral("\"conditions\":[", to: &out)
        for (i, r) in conditions.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONBytes.appendLiteral("{\"holds\":", to: &out)
            if r.holds { JSONBytes.appendLiteral("true", to: &out) } else { JSONBytes.appendLiteral("false", to: &out) }
            JSONBytes.appendLiteral(",\"label\":", to: &out)
            JSONBytes.appendString(r.label, to: &out)
            JSONBytes.appendLiteral(",\"threshold\":", to: &out)
            out += Array(Self.number(r.threshold).utf8)
            JSONBytes.appendLiteral(",\"value\":", to: &out)
            out += Array(Self.number(r.value).utf8)
            out.append(UInt8(ascii: "}"))
        }
        JSONBytes.appendLiteral("],\"reporters\":{", to: &out)
        for (i, reporter) in reporters.keys.sorted().enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONBytes.appendString(reporter, to: &out)
            JSONBytes.appendLiteral(":{", to: &out)
            let counts = reporters[reporter]!
            for (j, key) in counts.keys.sorted().enumerated() {
                if j > 0 { out.append(UInt8(ascii: ",")) }
                JSONBytes.appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                JSONBytes.appendInteger(counts[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        JSONBytes.appendLiteral("}}", to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Whole numbers as integers, others as Swift prints a Double (what JSONDecoder reads back).
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

extension CaseFigures: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { json.databaseValue }

    /// nil (a decoding error of the case) when the stored text is no figures' JSON.
    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> CaseFigures? {
        guard let text = String.fromDatabaseValue(dbValue) else { return nil }
        return try? CanonicalJSON.decode(CaseFigures.self, from: Data(text.utf8))
    }
}
