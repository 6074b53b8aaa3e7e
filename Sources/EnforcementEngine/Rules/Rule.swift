import LogParsers
import RegistryClient

/// A rules file (FORMATS.md §5), decoded and validated: when to open a case, suspend a
/// registered server, or report an unregistered one.
public struct Rule: Sendable, Equatable {
    public enum Subject: String, Sendable, Codable { case ip, registrant }
    public enum Action: String, Sendable, Codable, CaseIterable {
        case openCase = "open_case"
        case suspend
        case report
    }
    public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
        case low, medium, high, critical

        public static func < (a: Severity, b: Severity) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }

        /// One step up (a subject suspended before gets a higher severity).
        public var raised: Severity { Severity.allCases[min(Severity.allCases.firstIndex(of: self)! + 1, Severity.allCases.count - 1)] }
    }

    public var id: String
    public var description: String
    /// Registration statuses (at the events' times) whose events count.
    public var appliesTo: Set<RegistrationStatus>
    public var subject: Subject
    /// Milliseconds.
    public var window: Int64
    /// All must hold.
    public var conditions: [Condition]
    public var action: Action
    public var severity: Severity
    public var samplesPerReporter: Int
    /// Where it came from: the file and the SHA-256 of its bytes.
    public var file: String
    public var fileSHA256: String

    /// The selectors the rule's counts and ratios accuse with (for distinct reporters).
    public var accusingSelectors: [EventSelector] {
        var selectors: [EventSelector] = []
        func collect(_ c: Condition) {
            switch c {
            case .count(let s, _): selectors.append(s)
            case .ratio(let of, _, _): selectors.append(of)
            case .any(let list): list.forEach(collect)
            case .distinctReporters, .distinctOrganisations: break
            }
        }
        conditions.forEach(collect)
        return selectors
    }

    /// The fewest independent organisations the conditions allow a firing on.
    public var minimumOrganisations: Int {
        var minimum = 1
        for c in conditions {
            if case .distinctOrganisations(let n) = c { minimum = max(minimum, n) }
        }
        return minimum
    }
}
