import Foundation
import HummingbirdBcrypt
import HummingbirdOTP
import Logging
import Primitives

/// Staff accounts as one set of operations, shared by the `staff` commands and the web
/// UI's login: passwords hashed with bcrypt (cost 12), TOTP (RFC 6238) required for
/// admins, five failed logins in a row lock an account for 15 minutes.
public struct StaffAccounts: Sendable {
    public let store: ServiceStore
    public let logger: Logger

    public static let bcryptCost: UInt8 = 12
    public static let minimumPasswordLength = 12
    /// bcrypt reads at most 72 bytes: a longer password would be cut silently.
    public static let maximumPasswordBytes = 72
    public static let failureThreshold = 5
    public static let lockMillis: Int64 = 15 * 60_000
    public static let issuer = "abuse-ingest"

    public init(store: ServiceStore, logger: Logger = Logger(label: "abuse-ingest.staff")) {
        self.store = store
        self.logger = logger
    }

    public enum PasswordProblem: Error, Equatable, CustomStringConvertible {
        case tooShort, tooLong

        public var description: String {
            switch self {
            case .tooShort: "a staff password needs at least \(StaffAccounts.minimumPasswordLength) characters"
            case .tooLong: "a staff password may have at most \(StaffAccounts.maximumPasswordBytes) bytes (bcrypt ignores the rest)"
            }
        }
    }

    /// A new member: the generated password (when none was given) and, for an admin, the
    /// TOTP enrolment URI; each shown once.
    public struct Added: Sendable {
        public var member: StaffMember
        public var generatedPassword: String?
        public var totpURI: String?
    }

    public func add(name: String, role: StaffMember.Role, password: String?, by actor: String, now: Int64) throws -> Added {
        let chosen = password ?? Self.generatePassword()
        try Self.check(chosen)
        let secret = role == .admin ? Self.generateTOTPSecret() : nil
        let member = StaffMember(
            name: name, role: role, passwordHash: Bcrypt.hash(chosen, cost: Self.bcryptCost), totpSecret: secret, totpLastStep: 0, createdAt: now, disabledAt: nil,
            failedLogins: 0, lockedUntil: 0)
        try store.addStaff(member, by: actor, now: now)
        return Added(member: member, generatedPassword: password == nil ? chosen : nil, totpURI: secret.map { Self.totpURI(name: name, secret: $0) })
    }

    /// Disables an account and ends its sessions.
    public func disable(name: String, by actor: String, now: Int64) throws {
        try store.updateStaff(name, by: actor, action: "staff.disable", now: now, endSessions: true) { $0.disabledAt = $0.disabledAt ?? now }
    }

    /// A new password (generated when none is given, and returned): sessions end, a lock is
    /// lifted.
    @discardableResult
    public func resetPassword(name: String, password: String?, by actor: String, now: Int64) throws -> String? {
        let chosen = password ?? Self.generatePassword()
        try Self.check(chosen)
        let hash = Bcrypt.hash(chosen, cost: Self.bcryptCost)
        try store.updateStaff(name, by: actor, action: "staff.reset_password", now: now, endSessions: true) {
            $0.passwordHash = hash
            $0.failedLogins = 0
            $0.lockedUntil = 0
        }
        return password == nil ? chosen : nil
    }

    /// A new TOTP secret for `name`; returns its `otpauth://` URI (shown once).
    public func enableTOTP(name: String, by actor: String, now: Int64) throws -> String {
        let secret = Self.generateTOTPSecret()
        try store.updateStaff(name, by: actor, action: "staff.totp_enable", now: now, endSessions: true) {
            $0.totpSecret = secret
            $0.totpLastStep = 0
        }
        return Self.totpURI(name: name, secret: secret)
    }

    public enum LoginOutcome: Sendable, Equatable {
        case success(StaffMember)
        /// Wrong name, password or code, or a disabled account: told alike.
        case refused
        case locked(until: Int64)
        /// An admin without TOTP cannot log in until it is enabled.
        case needsTOTP
    }

    /// Checks a login (bcrypt: about a quarter of a second; call it off the event loop).
    public func login(name: String, password: String, code: String?, client: String, now: Int64) throws -> LoginOutcome {
        guard name.utf8.count <= 64, password.utf8.count <= 1024, let member = try store.staffMember(name) else {
            // The same work as for a real account, so that timing does not tell names apart.
            _ = Bcrypt.verify(password.count <= 1024 ? password : "", hash: Self.decoyHash)
            return .refused
        }
        if member.lockedUntil > now { return .locked(until: member.lockedUntil) }
        let passwordOK = Bcrypt.verify(password, hash: member.passwordHash)
        var codeOK = true
        if passwordOK, let secret = member.totpSecret {
            codeOK = try checkCode(code, secret: secret, name: name, now: now)
        }
        guard passwordOK, codeOK, member.disabledAt == nil else {
            if let until = try store.recordLoginFailure(name, client: client, now: now, threshold: Self.failureThreshold, lock: Self.lockMillis) {
                logger.warning(
                    "staff account locked after failed logins",
                    metadata: ["staff": "\(name)", "client": "\(client)", "until": "\(ISOTime.format(millis: until, fraction: false))"])
                return .locked(until: until)
            }
            return .refused
        }
        if member.isAdmin, member.totpSecret == nil { return .needsTOTP }
        return .success(member)
    }

    /// A six-digit code of the current time step or one either side, not used before.
    func checkCode(_ code: String?, secret: String, name: String, now: Int64) throws -> Bool {
        guard let code, code.count == 6, code.allSatisfy(\.isASCII), let value = Int(code) else { return false }
        let totp = TOTP(secret: secret)
        let step = now / 1000 / 30
        for candidate in [step - 1, step, step + 1] where totp.compute(date: Date(timeIntervalSince1970: Double(candidate * 30))) == value {
            return try store.takeTOTPStep(name, step: candidate)
        }
        return false
    }

    static func check(_ password: String) throws(PasswordProblem) {
        if password.count < minimumPasswordLength { throw .tooShort }
        if password.utf8.count > maximumPasswordBytes { throw .tooLong }
    }

    /// 20 characters of an unambiguous alphabet from the system's cryptographic generator
    /// (about 114 bits).
    public static func generatePassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// 32 base32 characters (160 bits); HummingbirdOTP keys HMAC with the secret's bytes.
    static func generateTOTPSecret() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var generator = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    public static func totpURI(name: String, secret: String) -> String {
        TOTP(secret: secret).createAuthenticatorURL(label: "\(issuer):\(name)", issuer: issuer)
    }

    /// The current code of a secret (tests, and `staff totp code` for a locked-out admin's
    /// operator at the console).
    public static func code(secret: String, at time: Int64) -> String {
        let value = TOTP(secret: secret).compute(date: Date(timeIntervalSince1970: Double(time) / 1000))
        let text = String(value)
        return String(repeating: "0", count: max(0, 6 - text.count)) + text
    }

    /// A bcrypt hash of a random password, compared against when the name is unknown.
    static let decoyHash = Bcrypt.hash(generatePassword(), cost: bcryptCost)
}
