import EnforcementEngine
import Foundation
import Logging
import Primitives
import Synchronization

/// The rule set in force and the state of its folder. A folder that fails to load leaves
/// the last good set in force; the failure is kept for `/readyz`, logged and counted.
public final class RuleBook: Sendable {
    private struct State {
        var rules: RuleSet
        var folder: String?
        var fingerprint: String
        /// A change seen at the last look, loaded once it holds still for one more look (an
        /// editor's write is never read half done).
        var pending: String?
        var error: String?
        var loadedAt: Date
    }
    private let state: Mutex<State>
    private let metrics: ServerMetrics
    private let logger: Logger

    /// Loads the rules named by `explicit` (or found as `evaluate` finds them); a folder
    /// that does not load at start is an error: there is no good set to fall back to.
    public init(explicit: String?, dataFolder: URL, metrics: ServerMetrics, logger: Logger) throws {
        let rules = try RuleSet.resolve(explicit: explicit, dataFolder: dataFolder)
        let folder = rules.folder == RuleSet.shippedFolderName ? nil : rules.folder
        state = Mutex(State(rules: rules, folder: folder, fingerprint: folder.map(Self.fingerprint) ?? "", pending: nil, error: nil, loadedAt: Date()))
        self.metrics = metrics
        self.logger = logger
        metrics.rules(count: rules.rules.count, failing: false)
        logger.info("rules loaded", metadata: ["folder": "\(rules.folder)", "rules": "\(rules.rules.count)"])
    }

    public var rules: RuleSet { state.withLock { $0.rules } }
    /// Why the folder as it is now does not load (the last good set is in force), or nil.
    public var error: String? { state.withLock { $0.error } }
    public var folder: String? { state.withLock { $0.folder } }
    /// When the set in force was loaded.
    public var loadedAt: Date { state.withLock { $0.loadedAt } }

    /// The files of the set in force with their texts, when a file still holds the bytes
    /// its rules were loaded from (a file edited since is left out: its text is no longer
    /// the one in force).
    public func fileTexts() -> [(name: String, sha256: String, text: String)] {
        var seen = Set<String>()
        var files: [(name: String, sha256: String, text: String)] = []
        for rule in rules.rules where seen.insert(rule.file).inserted {
            let bytes = FileManager.default.contents(atPath: rule.file) ?? RuleSet.shippedText(named: rule.file).map { Data($0.utf8) }
            guard let bytes, Digest.sha256(bytes) == rule.fileSHA256 else { continue }
            files.append(((rule.file as NSString).lastPathComponent, rule.fileSHA256, String(decoding: bytes, as: UTF8.self)))
        }
        return files
    }

    /// Loads the folder again when its files changed and have held still since the last
    /// look (or at once, with `force`). Returns whether a new set is in force.
    @discardableResult
    public func reload(force: Bool = false) -> Bool {
        guard let folder = state.withLock({ $0.folder }) else { return false }
        let fingerprint = Self.fingerprint(folder)
        if !force {
            let settled = state.withLock { s -> Bool? in
                if fingerprint == s.fingerprint {
                    s.pending = nil
                    return nil
                }
                defer { s.pending = fingerprint }
                return s.pending == fingerprint
            }
            guard settled == true else { return false }
        }
        do {
            let rules = try RuleSet.load(folder: folder)
            state.withLock { s in
                s.rules = rules
                s.fingerprint = fingerprint
                s.pending = nil
                s.error = nil
                s.loadedAt = Date()
            }
            metrics.rules(count: rules.rules.count, failing: false)
            logger.notice("rules reloaded", metadata: ["folder": "\(folder)", "rules": "\(rules.rules.count)"])
            return true
        } catch {
            let text = error.errors.map(\.description).joined(separator: "; ")
            let reason = text.isEmpty ? error.description : text
            state.withLock { s in
                s.fingerprint = fingerprint
                s.pending = nil
                s.error = reason
            }
            metrics.ruleLoadFailed()
            metrics.rules(count: rules.rules.count, failing: true)
            logger.error("the rules folder does not load; the last good rule set stays in force", metadata: ["folder": "\(folder)", "error": "\(reason)"])
            return false
        }
    }

    /// Names, sizes and modification times (nanoseconds) of the folder's files: any edit,
    /// addition or removal changes it.
    static func fingerprint(_ folder: String) -> String {
        let fm = FileManager.default
        var parts: [String] = []
        for name in ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).sorted() {
            let path = (folder as NSString).appendingPathComponent(name)
            guard let attributes = try? fm.attributesOfItem(atPath: path) else { continue }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            parts.append("\(name)|\(size)|\(modified)")
        }
        return parts.joined(separator: "\n")
    }
}
