/// A problem in a rules file, with its place (1-based line and column).
public struct RuleError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(message) (\(file):\(line):\(column))" }
}

/// Why a rules folder did not load; when it did not, no rule of it is in force.
public enum RuleLoadFailure: Error, Sendable, CustomStringConvertible {
    /// The folder named does not exist.
    case missingFolder(String)
    /// The folder exists but cannot be listed.
    case unreadableFolder(String, reason: String)
    /// Files of the folder are invalid: every problem, with its place.
    case invalid(folder: String, [RuleError])

    /// The problems in files (none when the folder itself is the problem).
    public var errors: [RuleError] {
        if case .invalid(_, let errors) = self { return errors }
        return []
    }

    public var description: String {
        switch self {
        case .missingFolder(let path):
            "the rules folder \(path) does not exist: name another with --rules DIR, or leave --rules out to use rules/ in the data folder, ./rules, or the shipped rules"
        case .unreadableFolder(let path, let reason):
            "cannot read the rules folder \(path): \(reason)"
        case .invalid(let folder, let errors):
            (errors.map(\.description) + ["\(errors.count) error(s) in \(folder); no rule of it is loaded"]).joined(separator: "\n")
        }
    }
}
