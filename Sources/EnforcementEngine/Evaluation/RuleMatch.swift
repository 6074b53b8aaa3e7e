import LogParsers
import Primitives

/// A rule that fired on a subject, with the figures that made it fire.
public struct RuleMatch: Sendable {
    public var rule: Rule
    /// The IP address (text) or the registrant id.
    public var subject: String
    public var subjectKind: Rule.Subject
    public var registrant: String?
    /// The addresses behind the subject (one for an IP subject).
    public var addresses: [IPAddress]
    public var figures: SubjectFigures
    public var results: [ConditionResult]
    /// UTC ms.
    public var windowStart: Int64
    public var windowEnd: Int64
    /// The accusing reporters.
    public var reporters: [String]

    /// Whether every condition holds (an explanation may carry matches that do not).
    public var fired: Bool { results.allSatisfy(\.holds) }
}
