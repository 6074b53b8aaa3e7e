import Crypto
import EnforcementEngine
import Foundation
import Primitives

/// The registry's secrets, kept in the data folder's `keys/` (folder mode 0700, files mode
/// 0600) and generated on first use: the Ed25519 key that signs evidence bundles
/// (`registry.ed25519`) and the HMAC key that pseudonymises recipients in excerpts
/// (`registry.hmac`).
public struct RegistryKey: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey
    /// HMAC-SHA-256 key of recipient pseudonyms; never leaves the data folder.
    public let pseudonymKey: SymmetricKey

    public var publicKeyBase64: String { privateKey.publicKey.rawRepresentation.base64EncodedString() }

    /// `sha256:` and the hex SHA-256 of the raw public key: names the key in manifests.
    public var fingerprint: String { Self.fingerprint(of: privateKey.publicKey) }

    public static func fingerprint(of publicKey: Curve25519.Signing.PublicKey) -> String {
        "sha256:" + Digest.hex(SHA256.hash(data: publicKey.rawRepresentation))
    }

    public init(privateKey: Curve25519.Signing.PrivateKey, pseudonymKey: SymmetricKey) {
        self.privateKey = privateKey
        self.pseudonymKey = pseudonymKey
    }

    public struct KeyError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The data folder's keys, or nil when it has none yet. Read-only commands use this:
    /// they never create keys.
    public static func load(dataFolder: URL) throws -> RegistryKey? {
        let signing = dataFolder.appendingPathComponent("keys/registry.ed25519")
        guard FileManager.default.fileExists(atPath: signing.path) else { return nil }
        return try loadOrCreate(dataFolder: dataFolder)
    }

    /// Loads the keys, creating each one the data folder does not have yet (the first
    /// export of a bundle).
    public static func loadOrCreate(dataFolder: URL) throws -> RegistryKey {
        let folder = dataFolder.appendingPathComponent("keys")
        let signing = try secret(folder.appendingPathComponent("registry.ed25519"), what: "an Ed25519 private key") {
            Curve25519.Signing.PrivateKey().rawRepresentation
        }
        guard let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: signing) else {
            throw KeyError(description: "the registry key \(folder.path)/registry.ed25519 is not a base64 Ed25519 private key")
        }
        let hmac = try secret(folder.appendingPathComponent("registry.hmac"), what: "a 32-byte HMAC key") {
            SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        }
        guard hmac.count == 32 else { throw KeyError(description: "the pseudonym key \(folder.path)/registry.hmac is not 32 bytes of base64") }
        return RegistryKey(privateKey: privateKey, pseudonymKey: SymmetricKey(data: hmac))
    }

    /// The base64 secret in `file`, or a new one from `generate` written there with mode 0600.
    private static func secret(_ file: URL, what: String, generate: () -> Data) throws -> Data {
        let fm = FileManager.default
        if let data = fm.contents(atPath: file.path) {
            guard let raw = Data(base64Encoded: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw KeyError(description: "\(file.path) is not \(what) in base64")
            }
            return raw
        }
        let folder = file.deletingLastPathComponent()
        try fm.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder.path)
        let raw = generate()
        guard fm.createFile(atPath: file.path, contents: Data((raw.base64EncodedString() + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw KeyError(description: "cannot write \(file.path)")
        }
        return raw
    }

    /// Parses a public key given as base64 (as `keys show` prints it).
    public static func publicKey(base64: String) -> Curve25519.Signing.PublicKey? {
        Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) }
    }
}
