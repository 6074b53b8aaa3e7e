import LogParsers
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

    /// Every rule's matches at `asOf` (UTC ms), and every subject's explanation when
    /// `explainAll` (for `rules test`).
    public func evaluate(_ activity: [ClientActivity], asOf: Int64, explainAll: Bool = false) -> [RuleMatch] {
        evaluateWithContradictions(activity, asOf: asOf, explainAll: explainAll).matches
    }

    public func evaluateWithContradictions(_ activity: [ClientActivity], asOf: Int64, explainAll: Bool = false) -> (matches: [RuleMatch], contradictions: [Contradiction]) {
        var matches: [RuleMatch] = []
        var contradictions: [Contradiction] = []
        for rule in rules.rules {
            let start = asOf - rule.window
            let firstHour = start / 3_600_000
            let lastHour = (asOf - 1) / 3_600_000
            let statusCodes = Set(rule.appliesTo.map { StatusCode.code($0) })
            var perSubject: [String: (figures: SubjectFigures, addresses: [IPAddress], registrant: String?)] = [:]
            for client in activity {
                if rules.allowed(client.ip) != nil { continue }
                var figures = SubjectFigures()
                for row in client.rows where row.hour >= firstHour && row.hour <= lastHour && statusCodes.contains(row.status) {
                    figures.add(reporter: row.reporter, organisation: organisations[row.reporter] ?? row.reporter, kind: row.kind, reason: row.reason, count: row.count)
                }
                if figures.perReporter.isEmpty { continue }
                // Witnesses: reporters that saw the client at all in the window.
                for row in client.rows where row.hour >= firstHour && row.hour <= lastHour && figures.perReporter[row.reporter] == nil {
                    figures.perReporter[row.reporter] = [:]
                    figures.organisations[row.reporter] = organisations[row.reporter] ?? row.reporter
                }
                let state = registry.state(of: client.ip, at: asOf)
                switch rule.subject {
                case .ip:
                    perSubject[client.ip.description] = (figures, [client.ip], state.registrant)
                case .registrant:
                    guard let registrant = state.registrant else { continue }
                    var entry = perSubject[registrant] ?? (SubjectFigures(), [], registrant)
                    entry.figures.merge(figures)
                    entry.addresses.append(client.ip)
                    perSubject[registrant] = entry
                }
            }
            let accusing = rule.accusingSelectors
            for (subject, entry) in perSubject.sorted(by: { $0.key < $1.key }) {
                let results = rule.conditions.map { $0.evaluate(entry.figures, accusing: accusing) }
                let accusers = entry.figures.reporters(accusing: accusing)
                let witnesses = entry.figures.perReporter.keys.filter { !accusers.contains($0) }.sorted()
                if results.allSatisfy(\.holds), accusers.count == 1, witnesses.count >= Self.contradictingWitnesses {
                    contradictions.append(Contradiction(reporter: accusers[0], subject: subject, ruleID: rule.id, witnesses: witnesses))
                    if !explainAll { continue }
                }
                guard explainAll || results.allSatisfy(\.holds) else { continue }
                matches.append(
                    RuleMatch(
                        rule: rule, subject: subject, subjectKind: rule.subject, registrant: entry.registrant, addresses: entry.addresses.sorted(),
                        figures: entry.figures, results: results, windowStart: start, windowEnd: asOf, reporters: entry.figures.reporters(accusing: accusing)))
            }
        }
        return (matches, contradictions)
    }
}
