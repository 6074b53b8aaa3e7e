import EnforcementEngine
import Foundation

/// Where a case's bundle is kept when the registry exports it for itself:
/// `evidence/<case id>/` beside the database.
public enum EvidenceLocation {
    public static func folder(dataFolder: URL, caseID: String) -> URL {
        dataFolder.appendingPathComponent("evidence").appendingPathComponent(caseID)
    }

    /// Whether the case's bundle was exported here, and whether it verifies (hashes,
    /// signature, excerpts against the archive), in a line for people.
    public static func status(of caseID: String, dataFolder: URL) throws -> String {
        let bundle = folder(dataFolder: dataFolder, caseID: caseID)
        guard FileManager.default.fileExists(atPath: bundle.appendingPathComponent(EvidenceBundle.manifestName).path) else {
            return "not exported (abuse-ingest evidence export \(caseID) --out \(bundle.path))"
        }
        guard let key = try RegistryKey.load(dataFolder: dataFolder) else { return "\(bundle.path) — not verified: this data folder has no registry key" }
        let problems = EvidenceVerifier(publicKey: key.privateKey.publicKey, archiveFolder: dataFolder).verify(bundle)
        return "\(bundle.path) — " + (problems.isEmpty ? "verified" : "FAILS: " + problems.joined(separator: "; "))
    }
}
