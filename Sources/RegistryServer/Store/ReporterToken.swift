import Crypto
import Foundation

/// A reporter's upload credential as stored: only the SHA-256 of the secret is kept.
public struct ReporterToken: Codable, Sendable, Equatable {
    /// Public identifier (`tok_` and 16 hex digits): listed, and named to revoke.
    public var id: String
    public var reporterID: String
    public var sha256: Data
    public var createdAt: Int64
    public var expiresAt: Int64?
    public var revokedAt: Int64?

    enum CodingKeys: String, CodingKey {
        case id
        case reporterID = "reporter_id"
        case sha256
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
    }

    /// `active`, `expired` or `revoked` at `time`.
    public func state(at time: Int64) -> String {
        if revokedAt != nil { return "revoked" }
        if let expiresAt, expiresAt <= time { return "expired" }
        return "active"
    }

    /// A new token: `aitk_<id>_<secret>`, the secret 256 random bits (base64url), from the
    /// system's cryptographic generator. Returns the record to store and the text to hand
    /// out once.
    public static func make(reporter: String, now: Int64, expires: Int64?) -> (record: ReporterToken, text: String) {
        let id = "tok_" + SessionSecrets.randomBytes(8).map { String(format: "%02x", $0) }.joined()
        let text = "aitk_\(id)_\(SessionSecrets.token())"
        return (ReporterToken(id: id, reporterID: reporter, sha256: digest(text), createdAt: now, expiresAt: expires, revokedAt: nil), text)
    }

    /// The token id inside a presented token text, or nil when it has not the shape.
    public static func id(in text: String) -> String? {
        let parts = text.split(separator: "_", maxSplits: 3, omittingEmptySubsequences: false)
        guard text.utf8.count <= 200, parts.count == 4, parts[0] == "aitk", parts[1] == "tok", parts[2].utf8.count == 16, parts[3].utf8.count >= 43 else { return nil }
        return "tok_" + parts[2]
    }

    static func digest(_ text: String) -> Data { Data(SHA256.hash(data: Data(text.utf8))) }

    /// Whether `text` is this token: its SHA-256 compared in constant time.
    func matches(_ text: String) -> Bool {
        SessionSecrets.equal([UInt8](Self.digest(text)), [UInt8](sha256))
    }
}
