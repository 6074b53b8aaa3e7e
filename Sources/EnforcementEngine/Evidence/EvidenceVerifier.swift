import Crypto
import Foundation
import LogParsers

/// Checks a bundle folder: every file's SHA-256 against the manifest, no file missing or
/// added, the Ed25519 signature of the manifest, and, given the archive, every excerpt
/// against the archived original bytes. Says exactly what differs.
public struct EvidenceVerifier: Sendable {
    public let publicKey: Curve25519.Signing.PublicKey
    /// The data folder whose `archive/` holds the shipped files, when checking excerpts.
    public let archiveFolder: URL?

    public init(publicKey: Curve25519.Signing.PublicKey, archiveFolder: URL?) {
        self.publicKey = publicKey
        self.archiveFolder = archiveFolder
    }

    public func verify(_ folder: URL) -> [String] {
        var problems: [String] = []
        let fm = FileManager.default
        guard let manifestData = fm.contents(atPath: folder.appendingPathComponent(EvidenceBundle.manifestName).path) else {
            return ["manifest.json is missing"]
        }
        guard let manifest = try? JSONSerialization.jsonObject(with: manifestData) as? [String: Any], let listed = manifest["files"] as? [String: String] else {
            return ["manifest.json is not a bundle manifest"]
        }
        // Signature over the manifest's SHA-256.
        if let text = fm.contents(atPath: folder.appendingPathComponent(EvidenceBundle.signatureName).path),
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
            guard let data = fm.contents(atPath: folder.appendingPathComponent(name).path) else {
                problems.append("\(name): missing")
                continue
            }
            let actual = EvidenceBundle.sha256(data)
            if actual != hash { problems.append("\(name): SHA-256 \(actual) differs from the manifest's \(hash)") }
        }
        // Nothing added.
        let present = Self.files(in: folder)
        for name in present.sorted() where listed[name] == nil && name != EvidenceBundle.manifestName && name != EvidenceBundle.signatureName {
            problems.append("\(name): not in the manifest")
        }
        if let archiveFolder { problems += checkExcerpts(folder, archive: LogArchive(dataFolder: archiveFolder)) }
        return problems
    }

    /// Each excerpt line against the archived shipment's line at the same number and offset.
    func checkExcerpts(_ folder: URL, archive: LogArchive) -> [String] {
        var problems: [String] = []
        guard let indexData = FileManager.default.contents(atPath: folder.appendingPathComponent("excerpts/index.jsonl").path) else {
            return ["excerpts/index.jsonl: missing"]
        }
        var excerptFiles: [String: [[UInt8]]] = [:]
        var wanted: [String: [(line: Int, offset: UInt64, excerpt: String, excerptLine: Int)]] = [:]
        for (n, raw) in indexData.split(separator: 0x0A).enumerated() {
            guard let entry = try? JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any], let sha = entry["sha256"] as? String,
                let line = entry["line"] as? Int, let offset = entry["offset"] as? Int, let excerpt = entry["excerpt"] as? String,
                let excerptLine = entry["excerpt_line"] as? Int
            else {
                problems.append("excerpts/index.jsonl:\(n + 1): not an index entry")
                continue
            }
            wanted[sha, default: []].append((line, UInt64(offset), excerpt, excerptLine))
            if excerptFiles[excerpt] == nil {
                let data = FileManager.default.contents(atPath: folder.appendingPathComponent(excerpt).path) ?? Data()
                excerptFiles[excerpt] = data.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
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
                let shown = entry.excerptLine - 1 < excerptLines.count ? excerptLines[entry.excerptLine - 1] : nil
                guard let source = original[entry.line] else {
                    problems.append("\(entry.excerpt):\(entry.excerptLine): shipment \(sha) has no line \(entry.line)")
                    continue
                }
                if source.offset != entry.offset {
                    problems.append("\(entry.excerpt):\(entry.excerptLine): line \(entry.line) of shipment \(sha) starts at byte \(source.offset), not \(entry.offset)")
                } else if shown != source.bytes {
                    problems.append("\(entry.excerpt):\(entry.excerptLine): differs from line \(entry.line) (byte \(entry.offset)) of the archived shipment \(sha)")
                }
            }
        }
        return problems
    }

    static func files(in folder: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var names: [String] = []
        let base = folder.standardizedFileURL.path
        for case let url as URL in enumerator {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            var path = url.standardizedFileURL.path
            if path.hasPrefix(base + "/") { path.removeFirst(base.count + 1) }
            names.append(path)
        }
        return names
    }
}
