/// A problem in a rules file, with its place (1-based line and column).
public struct RuleError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public var description: String { "\(message) (\(file):\(line):\(column))" }
}

/// Every problem of a rules folder; when there is one, no rule of the folder is loaded.
public struct RuleLoadFailure: Error, Sendable, CustomStringConvertible {
    public var errors: [RuleError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
