@testable import EnforcementEngine
import Foundation
import LogParsers
import Primitives
import RegistryClient
import Testing

/// Rule evaluation on activity built by hand, each figure worked out by hand.
struct RuleEvaluatorTests {
    static let asOf = ISOTime.parse("2026-11-29T00:00:00Z")!
    static let hour = asOf / 3_600_000 - 5  // inside every 24 h window

    static func rule(_ yaml: String) throws -> RuleSet {
        try RuleSet.decode([(path: "test.yaml", bytes: Data(yaml.utf8))], folder: "test")
    }

    /// A row of `count` events of `selector` ("kind" or "kind.reason") from `reporter`, by a
    /// client whose registration was `status` at the time.
    static func row(_ reporter: String, _ selector: String, _ count: Int, status: RegistrationStatus = .active) -> ClientActivity.Row {
        let parsed = try! EventSelector(parsing: selector)
        return .init(reporter: reporter, hour: hour, kind: parsed.kind.rawValue, reason: parsed.reason?.rawValue ?? 255, status: status.code, count: count)
    }

    static func evaluate(
        _ rules: RuleSet, _ clients: [(String, [ClientActivity.Row])], organisations: [String: String], registry: RegistrationIndex = RegistrationIndex(rows: [])
    ) -> [RuleMatch] {
        let evaluator = RuleEvaluator(rules: rules, organisations: organisations, registry: registry)
        return evaluator.evaluateWithContradictions(clients.map { ClientActivity(ip: IPAddress($0.0)!, rows: $0.1) }, asOf: asOf, explainAll: true).matches
    }

    static let header = "id: r\ndescription: test\napplies_to: [active, unregistered]\nwindow: 24h\n"

    @Test func twoReportersOfOneOrganisationCountAsOne() throws {
        let rules = try Self.rule(Self.header + "when:\n  - count: rejected.unknown_recipient\n    at_least: 50\n  - distinct_reporters: { at_least: 2 }\n  - distinct_organisations: { at_least: 2 }\naction: open_case\nseverity: low\n")
        let organisations = ["r1": "A", "r2": "A", "r3": "B"]
        let sameOrganisation = Self.evaluate(rules, [("192.0.2.1", [Self.row("r1", "rejected.unknown_recipient", 30), Self.row("r2", "rejected.unknown_recipient", 30)])], organisations: organisations)
        let match = try #require(sameOrganisation.first)
        #expect(match.results.map(\.value) == [60, 2, 1], "60 events, 2 reporters, 1 organisation")
        #expect(!match.fired)
        let another = Self.evaluate(
            rules, [("192.0.2.1", [Self.row("r1", "rejected.unknown_recipient", 30), Self.row("r2", "rejected.unknown_recipient", 30), Self.row("r3", "rejected.unknown_recipient", 1)])],
            organisations: organisations)
        #expect(another.first?.results.map(\.value) == [61, 3, 2])
        #expect(another.first?.fired == true)
    }

    @Test func ratioIsOfOverToAndHoldsFromItsThreshold() throws {
        let rules = try Self.rule(Self.header + "when:\n  - ratio: { of: rejected.unknown_recipient, to: connect, at_least: 0.75 }\naction: open_case\nseverity: low\n")
        func ratio(_ rejected: Int, _ connects: Int) -> (Double, Bool)? {
            let rows = [Self.row("r1", "rejected.unknown_recipient", rejected), Self.row("r1", "connect", connects)].filter { $0.count > 0 }
            return Self.evaluate(rules, [("192.0.2.1", rows)], organisations: [:]).first.map { ($0.results[0].value, $0.fired) }
        }
        #expect(ratio(150, 200)! == (0.75, true), "150 / 200 = 0.75, exactly the threshold")
        #expect(ratio(149, 200)! == (0.745, false))
        #expect(ratio(300, 200)! == (1.5, true), "more refusals than connects (reporters that log no connects)")
        #expect(ratio(10, 0)! == (0, false), "no connects: 0, never holds")
        let label = Self.evaluate(rules, [("192.0.2.1", [Self.row("r1", "connect", 1)])], organisations: [:]).first?.results[0].label
        #expect(label == "ratio rejected.unknown_recipient / connect")
    }

    @Test func anyHoldsWhenOneAlternativeDoesAndShowsIt() throws {
        let rules = try Self.rule(
            Self.header + "when:\n  - any:\n      - count: rejected.rbl\n        at_least: 50\n      - count: auth_failed\n        at_least: 100\naction: open_case\nseverity: low\n")
        func any(_ rbl: Int, _ auth: Int) -> ConditionResult? {
            let rows = [Self.row("r1", "rejected.rbl", rbl), Self.row("r1", "auth_failed", auth)].filter { $0.count > 0 }
            return Self.evaluate(rules, [("192.0.2.1", rows)], organisations: [:]).first?.results[0]
        }
        let second = try #require(any(49, 100))
        #expect(second.holds && second.value == 100 && second.threshold == 100, "the alternative that holds is shown: auth_failed 100 ≥ 100")
        #expect(second.label == "any(count rejected.rbl | count auth_failed)")
        let first = try #require(any(50, 0))
        #expect(first.holds && first.value == 50 && first.threshold == 50)
        let neither = try #require(any(49, 99))
        #expect(!neither.holds && neither.value == 49 && neither.threshold == 50, "none holds: the first is shown")
    }

    @Test func aCountExactlyAtItsThresholdFires() throws {
        let rules = try Self.rule(Self.header + "when:\n  - count: rejected\n    at_least: 200\naction: open_case\nseverity: low\n")
        // 120 unknown recipients and 80 relay refusals: 200 `rejected`.
        let at = Self.evaluate(rules, [("192.0.2.1", [Self.row("r1", "rejected.unknown_recipient", 120), Self.row("r2", "rejected.relay_denied", 80)])], organisations: [:])
        #expect(at.first?.results[0].value == 200 && at.first?.fired == true)
        let below = Self.evaluate(rules, [("192.0.2.1", [Self.row("r1", "rejected.unknown_recipient", 120), Self.row("r2", "rejected.relay_denied", 79)])], organisations: [:])
        #expect(below.first?.results[0].value == 199 && below.first?.fired == false)
    }

    /// `subject: registrant` adds up every address of the registrant: 60 + 50 from two
    /// networks, while an unregistered address and another registrant's stay out.
    @Test func aRegistrantSubjectAddsUpItsAddresses() throws {
        let rules = try Self.rule(
            "id: r\ndescription: test\napplies_to: [active]\nsubject: registrant\nwindow: 24h\nwhen:\n  - count: rejected.unknown_recipient\n    at_least: 100\naction: open_case\nseverity: low\n")
        let since = ISOTime.parse("2026-01-01T00:00:00Z")!
        let registry = RegistrationIndex(rows: [
            IndexRow(network: try IPNetwork(parsing: "198.51.100.0/28"), status: .active, registrant: "R-1", caseID: nil, validFrom: since),
            IndexRow(network: try IPNetwork(parsing: "203.0.113.0/24"), status: .active, registrant: "R-1", caseID: nil, validFrom: since),
            IndexRow(network: try IPNetwork(parsing: "192.0.2.0/24"), status: .active, registrant: "R-2", caseID: nil, validFrom: since),
        ])
        let matches = Self.evaluate(
            rules,
            [
                ("198.51.100.5", [Self.row("r1", "rejected.unknown_recipient", 60)]), ("203.0.113.9", [Self.row("r2", "rejected.unknown_recipient", 50)]),
                ("192.0.2.7", [Self.row("r1", "rejected.unknown_recipient", 99)]), ("100.64.0.1", [Self.row("r1", "rejected.unknown_recipient", 500, status: .unregistered)]),
            ], organisations: [:], registry: registry)
        #expect(matches.map(\.subject) == ["R-1", "R-2"])
        let r1 = try #require(matches.first)
        #expect(r1.subjectKind == .registrant && r1.fired && r1.results[0].value == 110)
        #expect(r1.addresses.map(\.description) == ["198.51.100.5", "203.0.113.9"])
        #expect(r1.figures.total(try EventSelector(parsing: "rejected.unknown_recipient")) == 110)
        #expect(matches[1].results[0].value == 99 && !matches[1].fired)
    }
}
