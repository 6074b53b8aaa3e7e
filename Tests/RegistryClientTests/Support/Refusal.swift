/// What a parser says when it refuses its input, or "accepted" when it does not.
func refusal(_ attempt: () throws -> Void) -> String {
    do {
        try attempt()
        return "accepted"
    } catch {
        return "\(error)"
    }
}
