/// A `WHERE` clause built from optional filters, with its bound values: a filter that is nil
/// adds nothing, so a listing with no filters matches every row.
package struct SQLConditions: Sendable {
    private var terms: [String] = []
    package private(set) var arguments: [SQLValue] = []

    package init() {}

    /// `column = value`, when there is a value.
    package mutating func equal(_ column: String, _ value: String?) {
        guard let value else { return }
        terms.append("\(column) = ?")
        arguments.append(.text(value))
    }

    /// `column >= value` (inclusive), when there is a value.
    package mutating func atLeast(_ column: String, _ value: Int64?) {
        guard let value else { return }
        terms.append("\(column) >= ?")
        arguments.append(.integer(value))
    }

    /// `column < value` (exclusive), when there is a value.
    package mutating func below(_ column: String, _ value: Int64?) {
        guard let value else { return }
        terms.append("\(column) < ?")
        arguments.append(.integer(value))
    }

    /// The conditions joined by AND (`1 = 1` when there are none), for after `WHERE`.
    package var clause: String { terms.isEmpty ? "1 = 1" : terms.joined(separator: " AND ") }
}
