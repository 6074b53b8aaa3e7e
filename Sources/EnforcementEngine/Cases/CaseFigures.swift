/// What a case rests on: each condition's figure against its threshold, and per reporter
/// the counts by `kind` and `kind.reason` in the window (stored as JSON with the case).
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
}
