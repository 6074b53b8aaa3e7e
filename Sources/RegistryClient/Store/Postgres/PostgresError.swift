/// What went wrong with a PostgreSQL store, with what the operator must know: the location
/// (never its password), and for a failed statement the server's own message and the
/// statement's first line.
public enum PostgresError: Error, CustomStringConvertible, Equatable {
    case badLocation(String, String)
    case cannotConnect(String, String)
    /// The statement's first line, the server's SQLSTATE (when it sent one) and message.
    case statementFailed(statement: String, sqlState: String?, message: String)
    /// The connection was lost (the server restarted or the network failed); the
    /// transaction it carried was not committed.
    case connectionLost(String, String)

    public var description: String {
        switch self {
        case .badLocation(let text, let why): "bad PostgreSQL location \(text): \(why)"
        case .cannotConnect(let location, let why): "cannot connect to \(location): \(why)"
        case .statementFailed(let statement, let state, let message):
            "PostgreSQL refused `\(statement)`: \(message)\(state.map { " (SQLSTATE \($0))" } ?? "")"
        case .connectionLost(let location, let why): "the connection to \(location) failed (\(why)); its transaction was not committed"
        }
    }

    /// A serialization failure or deadlock: the transaction may simply be run again.
    public var isRetryable: Bool {
        if case .statementFailed(_, let state, _) = self { return state == "40001" || state == "40P01" }
        if case .connectionLost = self { return true }
        return false
    }
}
