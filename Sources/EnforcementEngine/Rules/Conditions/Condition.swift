import Foundation

/// One condition of a rule's `when:` list.
public indirect enum Condition: Sendable, Equatable {
    /// At least `atLeast` events matching the selector in the window (all reporters).
    case count(EventSelector, atLeast: Int)
    /// At least this many reporters accused the subject (sent events of the rule's selectors).
    case distinctReporters(atLeast: Int)
    /// At least this many organisations among those reporters.
    case distinctOrganisations(atLeast: Int)
    /// `of` / `to` at least `atLeast` (0 when `to` has no events).
    case ratio(of: EventSelector, to: EventSelector, atLeast: Double)
    /// At least one of the alternatives holds.
    case any([Condition])

    /// The condition's figure for `figures` and whether it holds.
    public func evaluate(_ figures: SubjectFigures, accusing: [EventSelector]) -> ConditionResult {
        switch self {
        case .count(let selector, let threshold):
            let value = Double(figures.total(selector))
            return ConditionResult(label: "count \(selector)", value: value, threshold: Double(threshold), holds: value >= Double(threshold))
        case .distinctReporters(let threshold):
            let value = Double(figures.reporters(accusing: accusing).count)
            return ConditionResult(label: "distinct_reporters", value: value, threshold: Double(threshold), holds: value >= Double(threshold))
        case .distinctOrganisations(let threshold):
            let value = Double(figures.organisations(accusing: accusing).count)
            return ConditionResult(label: "distinct_organisations", value: value, threshold: Double(threshold), holds: value >= Double(threshold))
        case .ratio(let of, let to, let threshold):
            let denominator = figures.total(to)
            let value = denominator == 0 ? 0 : Double(figures.total(of)) / Double(denominator)
            return ConditionResult(label: "ratio \(of) / \(to)", value: value, threshold: threshold, holds: denominator > 0 && value >= threshold)
        case .any(let list):
            let results = list.map { $0.evaluate(figures, accusing: accusing) }
            let best = results.first { $0.holds } ?? results.first
            return ConditionResult(
                label: "any(" + results.map(\.label).joined(separator: " | ") + ")", value: best?.value ?? 0, threshold: best?.threshold ?? 0,
                holds: results.contains { $0.holds })
        }
    }
}

/// A condition's figure against its threshold, for explanations (`rules test`, cases).
public struct ConditionResult: Sendable, Equatable, Codable {
    public var label: String
    public var value: Double
    public var threshold: Double
    public var holds: Bool

    /// A figure for people: whole numbers as such, others with two decimals.
    public static func display(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }
}
