import Crypto
import Foundation

/// The zone's signing key (one combined key, flags 257: it signs every RRset and is the one
/// the parent's DS names): ECDSA P-256 with SHA-256 (algorithm 13) or Ed25519 (15), through
/// swift-crypto. Its file (`registry dnssec keygen`) holds the zone, the algorithm and the
/// private key in the `Key: value` lines of BIND's private-key format, and the DNSKEY record
/// as a comment for the operator:
///
///     ; reg.example. 3600 IN DNSKEY 257 3 13 base64…
///     Zone: reg.example.
///     Private-key-format: v1.3
///     Algorithm: 13 (ECDSAP256SHA256)
///     PrivateKey: base64…
public struct DNSSECKey: Sendable {
    public enum Algorithm: UInt8, Sendable, CaseIterable {
        case ecdsaP256SHA256 = 13
        case ed25519 = 15

        public var mnemonic: String { self == .ecdsaP256SHA256 ? "ECDSAP256SHA256" : "ED25519" }

        /// `13`, `15`, or the mnemonic (case-insensitive).
        public init?(text: String) {
            if let number = UInt8(text), let algorithm = Algorithm(rawValue: number) {
                self = algorithm
            } else if let algorithm = Algorithm.allCases.first(where: { $0.mnemonic.lowercased() == text.lowercased() }) {
                self = algorithm
            } else {
                return nil
            }
        }
    }

    private enum Secret: Sendable {
        case p256(P256.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    /// The zone the key signs; the root (no labels) when its file names none (`keygen`
    /// without `--zone`), until `bound(to:)` gives it one.
    public private(set) var zone: DNSName
    /// Whether the key's file names its zone.
    public private(set) var namesZone: Bool
    public let algorithm: Algorithm
    private let secret: Secret
    /// SEP and zone key: the key signs the zone and is the parent's secure entry point.
    public static let flags: UInt16 = 257

    /// A new key for `zone`.
    public init(zone: DNSName?, algorithm: Algorithm = .ecdsaP256SHA256) {
        self.zone = zone ?? DNSName(labels: [])
        namesZone = zone != nil
        self.algorithm = algorithm
        secret = algorithm == .ecdsaP256SHA256 ? .p256(P256.Signing.PrivateKey()) : .ed25519(Curve25519.Signing.PrivateKey())
    }

    private init(zone: DNSName?, algorithm: Algorithm, privateKey: [UInt8]) throws {
        self.zone = zone ?? DNSName(labels: [])
        namesZone = zone != nil
        self.algorithm = algorithm
        switch algorithm {
        case .ecdsaP256SHA256: secret = .p256(try P256.Signing.PrivateKey(rawRepresentation: privateKey))
        case .ed25519: secret = .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: privateKey))
        }
    }

    /// The key for `zone`: the zone it names must be that one (nil otherwise); a key that
    /// names none takes it.
    public func bound(to zone: DNSName) -> DNSSECKey? {
        if namesZone { return self.zone == zone ? self : nil }
        var key = self
        key.zone = zone
        key.namesZone = true
        return key
    }

    /// The public key as DNSKEY carries it (RFC 6605: x‖y; RFC 8080: the 32 bytes).
    public var publicKey: [UInt8] {
        switch secret {
        case .p256(let key): Array(key.publicKey.rawRepresentation)
        case .ed25519(let key): Array(key.publicKey.rawRepresentation)
        }
    }

    private var privateKey: [UInt8] {
        switch secret {
        case .p256(let key): Array(key.rawRepresentation)
        case .ed25519(let key): Array(key.rawRepresentation)
        }
    }

    /// The DNSKEY RDATA: flags, protocol 3, algorithm, public key.
    public var dnskeyData: [UInt8] { [UInt8(Self.flags >> 8), UInt8(Self.flags & 0xFF), 3, algorithm.rawValue] + publicKey }

    /// The key tag (RFC 4034 Appendix B).
    public var keyTag: UInt16 {
        var sum: UInt32 = 0
        for (index, byte) in dnskeyData.enumerated() { sum += index & 1 == 0 ? UInt32(byte) << 8 : UInt32(byte) }
        sum += (sum >> 16) & 0xFFFF
        return UInt16(sum & 0xFFFF)
    }

    /// The DS RDATA with SHA-256 (digest type 2, RFC 4509): key tag, algorithm, 2, digest of
    /// the owner name and the DNSKEY RDATA.
    public var dsData: [UInt8] {
        var owner: [UInt8] = []
        zone.append(to: &owner)
        let digest = SHA256.hash(data: owner + dnskeyData)
        return [UInt8(keyTag >> 8), UInt8(keyTag & 0xFF), algorithm.rawValue, 2] + Array(digest)
    }

    /// The DS record in presentation form, for the parent zone.
    public var dsText: String {
        "\(zone) IN DS \(keyTag) \(algorithm.rawValue) 2 \(dsData.dropFirst(4).map { String(format: "%02X", $0) }.joined())"
    }

    /// The DNSKEY record in presentation form.
    public func dnskeyText(ttl: UInt32) -> String {
        "\(zone) \(ttl) IN DNSKEY \(Self.flags) 3 \(algorithm.rawValue) \(Data(publicKey).base64EncodedString())"
    }

    /// Signs `data` (an RRSIG's signed data): 64 bytes for either algorithm.
    public func sign(_ data: [UInt8]) -> [UInt8] {
        switch secret {
        case .p256(let key): Array((try? key.signature(for: data).rawRepresentation) ?? Data())
        case .ed25519(let key): Array((try? key.signature(for: data)) ?? Data())
        }
    }

    /// The key file's text.
    public var fileText: String {
        """
        ; abuse-ingest DNSSEC key (key tag \(keyTag)): keep this file secret.
        \(namesZone ? "; \(dnskeyText(ttl: 3600))\n; parent: \(dsText)\nZone: \(zone)" : "; no zone named: the server binds it to the zone it serves")
        Private-key-format: v1.3
        Algorithm: \(algorithm.rawValue) (\(algorithm.mnemonic))
        PrivateKey: \(Data(privateKey).base64EncodedString())

        """
    }

    /// A key file that cannot be used.
    public struct FileError: Error, CustomStringConvertible, Equatable {
        public var path: String
        public var line: Int
        public var reason: String

        public var description: String { line > 0 ? "\(path):\(line): \(reason)" : "\(path): \(reason)" }
    }

    /// Reads a key file written by `fileText`.
    public static func load(path: String) throws(FileError) -> DNSSECKey {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path: path, line: 0, reason: "cannot read the key file") }
        guard data.count <= 16_384 else { throw FileError(path: path, line: 0, reason: "larger than 16 KiB: not a key file") }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    public static func parse(_ text: String, path: String = "<key>") throws(FileError) -> DNSSECKey {
        var fields: [String: (value: String, line: Int)] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix(";") || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else { throw FileError(path: path, line: index + 1, reason: "expected 'Field: value'") }
            fields[String(line[..<colon])] = (line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces), index + 1)
        }
        func field(_ name: String) throws(FileError) -> (value: String, line: Int) {
            guard let found = fields[name] else { throw FileError(path: path, line: 0, reason: "no '\(name):' line") }
            return found
        }
        var zone: DNSName?
        if let zoneField = fields["Zone"] {
            guard let named = DNSName(zoneField.value), !named.labels.isEmpty else { throw FileError(path: path, line: zoneField.line, reason: "'\(zoneField.value)' is not a zone") }
            zone = named
        }
        let algorithmField = try field("Algorithm")
        let number = algorithmField.value.prefix { $0.isNumber }
        guard let algorithm = Algorithm(text: String(number)) else {
            throw FileError(path: path, line: algorithmField.line, reason: "algorithm '\(algorithmField.value)': only 13 (ECDSAP256SHA256) and 15 (ED25519)")
        }
        let secretField = try field("PrivateKey")
        guard let bytes = Data(base64Encoded: secretField.value) else { throw FileError(path: path, line: secretField.line, reason: "the private key is not base64") }
        do {
            return try DNSSECKey(zone: zone, algorithm: algorithm, privateKey: Array(bytes))
        } catch {
            throw FileError(path: path, line: secretField.line, reason: "not a \(algorithm.mnemonic) private key (\(bytes.count) bytes)")
        }
    }
}
