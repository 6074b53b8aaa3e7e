import Crypto
import Foundation
import LogParsers
import RegistryClient

/// A case's evidence bundle (FORMATS.md §6) as files in memory: name → bytes. Exporting the
/// same case twice gives the same bytes (no export time, sorted keys, fixed order).
public struct EvidenceBundle: Sendable {
    /// Every file but `manifest.json` and `signature`.
    public var files: [String: Data]
    public var manifest: Data
    public var signature: Data

    public static let manifestName = "manifest.json"
    public static let signatureName = "signature"

    /// Writes the bundle into `folder` (created; existing files of the same names replaced).
    public func write(to folder: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, data) in files.merging([Self.manifestName: manifest, Self.signatureName: signature], uniquingKeysWith: { a, _ in a }) {
            let url = folder.appendingPathComponent(name)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        }
    }

    static func sha256(_ data: Data) -> String { Digest.hex(SHA256.hash(data: data)) }
}
