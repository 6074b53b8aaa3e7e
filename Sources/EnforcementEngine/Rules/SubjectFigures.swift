/// What the reporters saw of one subject in a rule's window: per reporter, counts per
/// (kind, reason) of the events whose registration status the rule applies to.
public struct SubjectFigures: Sendable, Equatable {
    /// reporter → (kind, reason) code → count; reason 255 is none.
    public var perReporter: [String: [UInt16: Int]] = [:]
    /// reporter → organisation.
    public var organisations: [String: String] = [:]

    public init() {}

    public static func code(kind: UInt8, reason: UInt8) -> UInt16 { UInt16(kind) << 8 | UInt16(reason) }

    public mutating func add(reporter: String, organisation: String, kind: UInt8, reason: UInt8, count: Int) {
        perReporter[reporter, default: [:]][Self.code(kind: kind, reason: reason), default: 0] += count
        organisations[reporter] = organisation
    }

    public mutating func merge(_ other: SubjectFigures) {
        for (reporter, counts) in other.perReporter {
            for (code, count) in counts { perReporter[reporter, default: [:]][code, default: 0] += count }
        }
        organisations.merge(other.organisations) { a, _ in a }
    }

    /// Events of one reporter matching `selector`.
    public func count(_ selector: EventSelector, reporter: String) -> Int {
        guard let counts = perReporter[reporter] else { return 0 }
        var total = 0
        for (code, count) in counts where selector.matches(kind: UInt8(code >> 8), reason: UInt8(code & 0xFF)) { total += count }
        return total
    }

    public func total(_ selector: EventSelector) -> Int {
        perReporter.keys.reduce(0) { $0 + count(selector, reporter: $1) }
    }

    /// Reporters with at least one event of the accusing selectors (any event when none).
    public func reporters(accusing: [EventSelector]) -> [String] {
        perReporter.keys.filter { reporter in
            accusing.isEmpty ? (perReporter[reporter]?.values.contains { $0 > 0 } ?? false) : accusing.contains { count($0, reporter: reporter) > 0 }
        }.sorted()
    }

    public func organisations(accusing: [EventSelector]) -> Set<String> {
        Set(reporters(accusing: accusing).map { organisations[$0] ?? $0 })
    }
}
