import Crypto
import Foundation

/// The registry's Ed25519 signing key, kept in the data folder (`keys/registry.ed25519`,
/// folder mode 0700, file mode 0600) and generated on first use.
public struct RegistryKey: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey

    public var publicKeyBase64: String { privateKey.publicKey.rawRepresentation.base64EncodedString() }

    public struct KeyError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Loads the key, or creates it when the data folder has none.
    public static func loadOrCreate(dataFolder: URL) throws -> RegistryKey {
        let folder = dataFolder.appendingPathComponent("keys")
        let file = folder.appendingPathComponent("registry.ed25519")
        let fm = FileManager.default
        if let data = fm.contents(atPath: file.path) {
            guard let raw = Data(base64Encoded: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
                let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
            else { throw KeyError(description: "the registry key \(file.path) is not a base64 Ed25519 private key") }
            return RegistryKey(privateKey: key)
        }
        try fm.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder.path)
        let key = Curve25519.Signing.PrivateKey()
        guard fm.createFile(atPath: file.path, contents: Data((key.rawRepresentation.base64EncodedString() + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw KeyError(description: "cannot write the registry key \(file.path)")
        }
        return RegistryKey(privateKey: key)
    }

    /// Parses a public key given as base64 (as `keys show` prints it).
    public static func publicKey(base64: String) -> Curve25519.Signing.PublicKey? {
        Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) }
    }
}
