import Foundation

/// A logged-in staff member's session as stored (table `staff_session`): the cookie holds
/// a random id, the table only its SHA-256, with the session's CSRF token and its times.
public struct StaffSession: Codable, Sendable, Equatable {
    public var idSHA256: Data
    public var staffName: String
    /// Every form of the session carries it (FORMATS.md §7.3).
    public var csrfToken: String
    public var createdAt: Int64
    public var lastSeenAt: Int64
    /// The client address at login (for the audit log).
    public var client: String

    enum CodingKeys: String, CodingKey {
        case idSHA256 = "id_sha256"
        case staffName = "staff_name"
        case csrfToken = "csrf_token"
        case createdAt = "created_at"
        case lastSeenAt = "last_seen_at"
        case client
    }
}
