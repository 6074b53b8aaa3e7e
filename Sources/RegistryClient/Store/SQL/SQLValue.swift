import Foundation

/// A value bound to a statement, the same on SQLite and PostgreSQL.
package enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    /// A boolean column (an integer 0 or 1 in SQLite).
    case boolean(Bool)

    package static func integer(_ value: Int) -> Self { .integer(Int64(value)) }
    package static func optional(_ value: Int64?) -> Self { value.map(Self.integer) ?? .null }
    package static func optional(_ value: String?) -> Self { value.map(Self.text) ?? .null }
}
