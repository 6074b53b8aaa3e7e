import Foundation
import GRDB
import LogParsers
import Primitives
import RegistryClient

/// What the store knows of one address (FORMATS.md §1 `ip show`).
public struct IPActivity: Sendable {
    public var ip: IPAddress
    public var registration: [RegistrationRecord]
    /// reporter → day (`YYYY-MM-DD`) → `kind` or `kind.reason` → count.
    public var reporters: [String: [String: [String: Int]]]
    public var firstSeen: Int64?
    public var lastSeen: Int64?
    /// Per reporter: first and last seen.
    public var seenBy: [String: (first: Int64, last: Int64)]
}
