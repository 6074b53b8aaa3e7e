import Foundation

/// Locates `../shared` (the real-world corpus and schemas), which is not in the repository.
enum SharedCorpus {
    /// The repository root, from this source file's path.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the repository, or `$ABUSE_INGEST_SHARED`.
    static var sharedFolder: URL {
        if let override = ProcessInfo.processInfo.environment["ABUSE_INGEST_SHARED"] { return URL(fileURLWithPath: override) }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }

    static var fail2ban: URL { sharedFolder.appendingPathComponent("corpus/fail2ban") }

    static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: fail2ban.appendingPathComponent("expected.jsonl").path)
    }
}
