import LogParsers
import Primitives
import RegistryClient

/// Pure evaluation of rules over stored activity: the same activity, rules and `asOf`
/// give the same matches, in the same order.
public struct RuleEvaluator: Sendable {
    public var rules: RuleSet
    /// reporter → organisation.
    public var organisations: [String: String]
    /// The registry as of the evaluation (for registrant subjects and the allow-list).
    public var registry: RegistrationIndex

    public init(rules: RuleSet, organisations: [String: String], registry: RegistrationIndex) {
        self.rules = rules
        self.organisations = organisations
        self.registry = registry
    }

    /// A lone accuser contradicted by other reporters that saw the same subject behave
    /// well in the same window: a possible frame-up; its accusation alone opens no case.
    public struct Contradiction: Sendable, Equatable {
        public var reporter: String
        public var subject: String
        public var ruleID: String
        /// Reporters that saw the subject without accusing it.
        public var witnesses: [String]
    }

    /// The fewest clean witnesses that outweigh a lone accuser.
    public static let contradictingWitnesses = 2

    /// Every rule's matches at `asOf` (UTC ms) and the contradictions met; with
    /// `explainAll`, every subject's explanation too (for `rules test`).
    public func evaluateWithContradictions(_ activity: [ClientActivity], asOf: Int64, explainAll: Bool = false) -> (matches: [RuleMatch], contradictions: [Contradiction]) {
        var session = Session(evaluator: self, asOf: asOf, explainAll: explainAll)
        for client in activity { session.add(client) }
        return session.finish()
    }

    /// Streaming evaluation: clients are added one at a time (memory holds one client and
    /// the registrant subjects), results come out sorted by rule and subject.
    public struct Session {
        struct Prepared {
            var rule: Rule
            var firstHour: Int64
            var lastHour: Int64
            /// Bit per `StatusCode`.
            var statusMask: UInt8
            var accusing: [EventSelector]
        }

        let evaluator: RuleEvaluator
        let asOf: Int64
        let explainAll: Bool
        private let prepared: [Prepared]
        private var registrants: [[String: (figures: SubjectFigures, addresses: [IPAddress])]]
        private var matches: [RuleMatch] = []
        private var contradictions: [Contradiction] = []

        public init(evaluator: RuleEvaluator, asOf: Int64, explainAll: Bool = false) {
            self.evaluator = evaluator
            self.asOf = asOf
            self.explainAll = explainAll
            prepared = evaluator.rules.rules.map { rule in
                Prepared(
                    rule: rule, firstHour: (asOf - rule.window) / 3_600_000, lastHour: (asOf - 1) / 3_600_000,
                    statusMask: rule.appliesTo.reduce(0) { $0 | 1 << $1.code }, accusing: rule.accusingSelectors)
            }
            registrants = Array(repeating: [:], count: prepared.count)
        }

        public mutating func add(_ client: ClientActivity) {
            if evaluator.rules.allowed(client.ip) != nil { return }
            var state: RegistrationState?
            for (index, p) in prepared.enumerated() {
                var figures = SubjectFigures()
                for row in client.rows where row.hour >= p.firstHour && row.hour <= p.lastHour && p.statusMask & (1 << row.status) != 0 {
                    figures.add(reporter: row.reporter, organisation: evaluator.organisations[row.reporter] ?? row.reporter, kind: row.kind, reason: row.reason, count: row.count)
                }
                if figures.perReporter.isEmpty { continue }
                // Witnesses: reporters that saw the client at all in the window.
                for row in client.rows where row.hour >= p.firstHour && row.hour <= p.lastHour && figures.perReporter[row.reporter] == nil {
                    figures.perReporter[row.reporter] = [:]
                    figures.organisations[row.reporter] = evaluator.organisations[row.reporter] ?? row.reporter
                }
                if state == nil { state = evaluator.registry.state(of: client.ip, at: asOf) }
                switch p.rule.subject {
                case .ip:
                    conclude(p, subject: client.ip.description, figures: figures, addresses: [client.ip], registrant: state?.registrant)
                case .registrant:
                    guard let registrant = state?.registrant else { continue }
                    registrants[index][registrant, default: (SubjectFigures(), [])].figures.merge(figures)
                    registrants[index][registrant, default: (SubjectFigures(), [])].addresses.append(client.ip)
                }
            }
        }

        private mutating func conclude(_ p: Prepared, subject: String, figures: SubjectFigures, addresses: [IPAddress], registrant: String?) {
            // Conditions in order, stopping at the first that fails (unless explaining all).
            var results: [ConditionResult] = []
            results.reserveCapacity(p.rule.conditions.count)
            for condition in p.rule.conditions {
                let result = condition.evaluate(figures, accusing: p.accusing)
                if !result.holds && !explainAll { return }
                results.append(result)
            }
            let fired = results.allSatisfy(\.holds)
            let accusers = figures.reporters(accusing: p.accusing)
            let witnesses = figures.perReporter.keys.filter { !accusers.contains($0) }.sorted()
            if fired, accusers.count == 1, witnesses.count >= RuleEvaluator.contradictingWitnesses {
                contradictions.append(Contradiction(reporter: accusers[0], subject: subject, ruleID: p.rule.id, witnesses: witnesses))
                if !explainAll { return }
            }
            matches.append(
                RuleMatch(
                    rule: p.rule, subject: subject, subjectKind: p.rule.subject, registrant: registrant, addresses: addresses.sorted(),
                    figures: figures, results: results, windowStart: asOf - p.rule.window, windowEnd: asOf, reporters: accusers))
        }

        /// The matches and contradictions, sorted by rule and subject.
        public mutating func finish() -> (matches: [RuleMatch], contradictions: [Contradiction]) {
            for (index, p) in prepared.enumerated() {
                for (registrant, entry) in registrants[index].sorted(by: { $0.key < $1.key }) {
                    conclude(p, subject: registrant, figures: entry.figures, addresses: entry.addresses, registrant: registrant)
                }
                registrants[index] = [:]
            }
            let sortedMatches = matches.sorted { ($0.rule.id, $0.subject) < ($1.rule.id, $1.subject) }
            let sortedContradictions = contradictions.sorted { ($0.ruleID, $0.subject) < ($1.ruleID, $1.subject) }
            return (sortedMatches, sortedContradictions)
        }
    }
}
