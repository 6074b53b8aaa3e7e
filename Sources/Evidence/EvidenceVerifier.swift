import Crypto
import EnforcementEngine
import Foundation
import LogParsers
import Primitives

/// Checks a bundle (folder or zip): every file's SHA-256 against the manifest, no file
/// missing or added, the Ed25519 signature of the manifest, and, given the archive, every
/// excerpt against the archived original bytes (recipient pseudonyms replayed from the
/// index). Says exactly what differs.
public struct EvidenceVerifier: Sendable {
    public let publicKey: Curve25519.Signing.PublicKey
    /// The data folder whose `archive/` holds the shipped files, when checking excerpts.
    public let archiveFolder: URL?

    public init(publicKey: Curve25519.Signing.PublicKey, archiveFolder: URL?) {
        self.publicKey = publicKey
        self.archiveFolder = archiveFolder
    }

    /// With a public key given as base64 (as `keys show` prints it); nil when it is none.
    public init?(publicKeyBase64: String, archiveFolder: URL?) {
        guard let key = RegistryKey.publicKey(base64: publicKeyBase64) else { return nil }
        self.init(publicKey: key, archiveFolder: archiveFolder)
    }

    /// The fingerprint of the key a bundle's manifest says signed it (nil when it names none).
    public static func signingKey(of path: URL) throws -> String? {
        let files = try EvidenceBundle.readFiles(at: path)
        guard let data = files[EvidenceBundle.manifestName], let manifest = try? CanonicalJSON.decode(ManifestView.self, from: data) else { return nil }
        return manifest.signingKey
    }

    public func verify(_ path: URL) -> [String] {
        do {
            return verify(files: try EvidenceBundle.readFiles(at: path))
        } catch {
            return ["\(error)"]
        }
    }

    public func verify(files: [String: Data]) -> [String] {
        var problems: [String] = []
        guard let manifestData = files[EvidenceBundle.manifestName] else { return ["manifest.json is missing"] }
        guard let manifest = try? CanonicalJSON.decode(ManifestView.self, from: manifestData) else { return ["manifest.json is not a bundle manifest"] }
        let listed = manifest.files
        // Signature over the manifest's SHA-256, by the key the manifest names.
        let named = manifest.signingKey
        let given = RegistryKey.fingerprint(of: publicKey)
        if let named, named != given {
            problems.append("signature: the bundle names signing key \(named), not the key given (\(given))")
        } else if let text = files[EvidenceBundle.signatureName],
            let signature = Data(base64Encoded: String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        {
            if !publicKey.isValidSignature(signature, for: Data(SHA256.hash(data: manifestData))) {
                problems.append("signature: does not verify manifest.json with this public key")
            }
        } else {
            problems.append("signature: missing or not base64")
        }
        // Every listed file, with its hash.
        for (name, hash) in listed.sorted(by: { $0.key < $1.key }) {
            guard let data = files[name] else {
                problems.append("\(name): missing")
                continue
            }
            let actual = EvidenceBundle.sha256(data)
            if actual != hash { problems.append("\(name): SHA-256 \(actual) differs from the manifest's \(hash)") }
        }
        // Nothing added.
        for name in files.keys.sorted() where listed[name] == nil && name != EvidenceBundle.manifestName && name != EvidenceBundle.signatureName {
            problems.append("\(name): not in the manifest")
        }
        if let archiveFolder { problems += checkExcerpts(files, archive: LogArchive(dataFolder: archiveFolder)) }
        return problems
    }

    struct IndexEntry {
        var line: Int
        var offset: UInt64
        var excerpt: String
        var excerptLine: Int
        var redactions: [RecipientPseudonymiser.Redaction]
    }

    /// Each excerpt line against the archived shipment's line at the same number and offset,
    /// with the index's recipient pseudonyms put in place of the local parts they replace.
    func checkExcerpts(_ files: [String: Data], archive: LogArchive) -> [String] {
        var problems: [String] = []
        guard let indexData = files["excerpts/index.jsonl"] else { return ["excerpts/index.jsonl: missing"] }
        var excerptFiles: [String: [[UInt8]]] = [:]
        var wanted: [String: [IndexEntry]] = [:]
        for (n, raw) in indexData.split(separator: 0x0A).enumerated() {
            guard let entry = EvidenceIndexLine(Data(raw)) else {
                problems.append("excerpts/index.jsonl:\(n + 1): not an index entry")
                continue
            }
            let (sha, line, offset, excerpt, excerptLine, redactions) = (entry.sha256, entry.line, entry.offset, entry.excerpt, entry.excerptLine, entry.redactions ?? [])
            wanted[sha, default: []].append(IndexEntry(line: line, offset: offset, excerpt: excerpt, excerptLine: excerptLine, redactions: redactions))
            if excerptFiles[excerpt] == nil {
                excerptFiles[excerpt] = (files[excerpt] ?? Data()).split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
            }
        }
        for (sha, entries) in wanted.sorted(by: { $0.key < $1.key }) {
            guard let file = archive.existing(sha256: sha) else {
                problems.append("archive: shipment \(sha) is not in \(archive.folder.path)")
                continue
            }
            guard let original = try? ArchiveExcerpts.read(file, lines: Set(entries.map(\.line))) else {
                problems.append("archive: cannot read \(file.path)")
                continue
            }
            for entry in entries {
                let excerptLines = excerptFiles[entry.excerpt] ?? []
                let shown = entry.excerptLine >= 1 && entry.excerptLine - 1 < excerptLines.count ? excerptLines[entry.excerptLine - 1] : nil
                let place = "\(entry.excerpt):\(entry.excerptLine)"
                guard let source = original[entry.line] else {
                    problems.append("\(place): shipment \(sha) has no line \(entry.line)")
                    continue
                }
                guard source.offset == entry.offset else {
                    problems.append("\(place): line \(entry.line) of shipment \(sha) starts at byte \(source.offset), not \(entry.offset)")
                    continue
                }
                guard let expected = RecipientPseudonymiser.apply(entry.redactions, to: source.bytes) else {
                    problems.append("\(place): the index's redactions are not recipient local parts of line \(entry.line) of shipment \(sha)")
                    continue
                }
                if shown != expected {
                    problems.append("\(place): differs from line \(entry.line) (byte \(entry.offset)) of the archived shipment \(sha)")
                }
            }
        }
        return problems
    }

    /// What verification reads of a manifest.
    struct ManifestView: Decodable {
        var files: [String: String]
        var signingKey: String?

        enum CodingKeys: String, CodingKey {
            case files
            case signingKey = "signing_key"
        }
    }
}
