/// What one evaluation did (or, dry, would do): the case changes, the contradictions met,
/// and what it looked at.
public struct Evaluation: Sendable {
    public var changes: [CaseChange]
    public var contradictions: [RuleEvaluator.Contradiction]
    /// Clients with events in the longest window.
    public var clients: Int
    public var rules: Int
    /// Where the rules came from (a folder, or the shipped rules).
    public var rulesFolder: String
    /// UTC ms.
    public var asOf: Int64
    public var dryRun: Bool

    public var opened: Int { changes.filter { $0.change == .opened }.count }
    public var updated: Int { changes.filter { $0.change == .updated }.count }
}
