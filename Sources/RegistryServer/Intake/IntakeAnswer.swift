import Primitives

/// What the intake answers one request: a status, extra headers and a JSON body (none for
/// `204` and `HEAD`). Free of any HTTP library, so that the intake is tested alone.
public struct IntakeAnswer: Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var json: String?

    public init(status: Int, headers: [String: String] = [:], json: String?) {
        self.status = status
        self.headers = headers
        self.json = json
    }

    /// `{"error":"<what>"}` (FORMATS.md §7.1).
    public static func error(_ status: Int, _ what: String, headers: [String: String] = [:]) -> IntakeAnswer {
        IntakeAnswer(status: status, headers: headers, json: (try? CanonicalJSON.string(["error": what])) ?? "{}")
    }

    public static func document(_ status: Int, _ value: some Encodable, headers: [String: String] = [:]) -> IntakeAnswer {
        IntakeAnswer(status: status, headers: headers, json: (try? CanonicalJSON.string(value)) ?? "{}")
    }
}
