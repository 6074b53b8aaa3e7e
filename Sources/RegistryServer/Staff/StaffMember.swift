import Foundation
import Primitives

/// A member of the registry's enforcement staff (table `staff`): a name, a role, a bcrypt
/// password hash and, when enabled, a TOTP secret. Disabled members keep their row (the
/// audit log names them).
public struct StaffMember: Codable, Sendable, Equatable {
    public enum Role: String, Codable, Sendable, CaseIterable {
        /// Sees everything redacted; approves and dismisses.
        case reviewer
        /// A reviewer who also reinstates, views unredacted, manages staff and tokens.
        case admin
    }

    public var name: String
    public var role: Role
    public var passwordHash: String
    /// The TOTP shared secret (RFC 6238), nil until enabled.
    public var totpSecret: String?
    /// The last time step a code was accepted for (a code is good once).
    public var totpLastStep: Int64
    public var createdAt: Int64
    public var disabledAt: Int64?
    public var failedLogins: Int
    /// Login refused until then (UTC ms; 0: not locked).
    public var lockedUntil: Int64

    enum CodingKeys: String, CodingKey {
        case name, role
        case passwordHash = "password_hash"
        case totpSecret = "totp_secret"
        case totpLastStep = "totp_last_step"
        case createdAt = "created_at"
        case disabledAt = "disabled_at"
        case failedLogins = "failed_logins"
        case lockedUntil = "locked_until"
    }

    public var isAdmin: Bool { role == .admin }
    public var totpEnabled: Bool { totpSecret != nil }

    /// Names are what the audit log shows: letters, digits, `.`, `_`, `-`, `@`; 1 to 64.
    public static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || [0x2E, 0x5F, 0x2D, 0x40].contains($0) }
            && name != "engine"
    }
}

/// `staff list --json` items.
public struct StaffDocument: Encodable, Sendable {
    public var name: String
    public var role: StaffMember.Role
    public var totp: Bool
    public var created: String
    public var disabled: String?
    public var lockedUntil: String?

    enum CodingKeys: String, CodingKey {
        case name, role, totp, created, disabled
        case lockedUntil = "locked_until"
    }

    public init(_ member: StaffMember, now: Int64) {
        name = member.name
        role = member.role
        totp = member.totpEnabled
        created = ISOTime.format(millis: member.createdAt, fraction: false)
        disabled = member.disabledAt.map { ISOTime.format(millis: $0, fraction: false) }
        lockedUntil = member.lockedUntil > now ? ISOTime.format(millis: member.lockedUntil, fraction: false) : nil
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(role, forKey: .role)
        try c.encode(totp, forKey: .totp)
        try c.encode(created, forKey: .created)
        try c.encode(disabled, forKey: .disabled)
        try c.encode(lockedUntil, forKey: .lockedUntil)
    }
}
