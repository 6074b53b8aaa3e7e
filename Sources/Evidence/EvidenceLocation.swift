import EnforcementEngine
import Foundation

/// Where a case's bundle is kept when the registry exports it for itself:
/// `evidence/<case id>/` beside the database.
public enum EvidenceLocation {
    public static func folder(dataFolder: URL, caseID: String) -> URL {
        dataFolder.appendingPathComponent("evidence").appendingPathComponent(caseID)
    }
}
