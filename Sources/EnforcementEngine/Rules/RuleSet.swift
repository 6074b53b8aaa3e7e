import Foundation
import LogParsers
import Primitives
import RegistryClient

/// The rules of one folder and its allow-list, all valid or none loaded.
public struct RuleSet: Sendable {
    public var rules: [Rule]
    public var allowlist: [AllowlistEntry]
    public var folder: String

    public init(rules: [Rule], allowlist: [AllowlistEntry] = [], folder: String = "") {
        self.rules = rules
        self.allowlist = allowlist
        self.folder = folder
    }

    /// Where the rules in force came from, for messages: a folder, or the shipped rules
    /// built into the binary.
    public static let shippedFolderName = "(shipped rules, built in)"

    /// Loads `folder/*.yaml` (and `allowlist.yaml`). Any error anywhere: nothing loads.
    public static func load(folder: String) throws(RuleLoadFailure) -> RuleSet {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else { throw .missingFolder(folder) }
        guard isDirectory.boolValue else { throw .unreadableFolder(folder, reason: "it is not a folder") }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw .unreadableFolder(folder, reason: error.localizedDescription)
        }
        let url = URL(fileURLWithPath: folder)
        var files: [(path: String, bytes: Data?)] = []
        for name in names.sorted() where Self.isRulesFile(name) {
            let path = url.appendingPathComponent(name).path
            files.append((path, FileManager.default.contents(atPath: path)))
        }
        return try decode(files, folder: folder)
    }

    /// The rules shipped with abuse-ingest (`rules/` of its source, built into the binary).
    public static func shipped() -> RuleSet {
        let files = ShippedRules.files.filter { isRulesFile($0.name) }.map { (path: $0.name, bytes: Optional(Data($0.text.utf8))) }
        // The shipped rules are checked by the tests: they always load.
        return (try? decode(files, folder: shippedFolderName)) ?? RuleSet(rules: [], folder: shippedFolderName)
    }

    /// The text of a shipped rules file by name.
    public static func shippedText(named name: String) -> String? {
        ShippedRules.files.first { $0.name == name }?.text
    }

    /// Writes the shipped rules files (and their README) into `folder`, creating it.
    public static func writeShipped(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in ShippedRules.files {
            try Data(file.text.utf8).write(to: folder.appendingPathComponent(file.name), options: .atomic)
        }
    }

    /// The rules in force: those of `explicit` when given (which must exist), else
    /// `rules/` in the data folder when it exists, else `./rules` when it exists, else the
    /// shipped rules.
    public static func resolve(explicit: String?, dataFolder: URL) throws(RuleLoadFailure) -> RuleSet {
        if let explicit { return try load(folder: explicit) }
        for candidate in [dataFolder.appendingPathComponent("rules").path, "rules"] {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                return try load(folder: candidate)
            }
        }
        return shipped()
    }

    static func isRulesFile(_ name: String) -> Bool { name.hasSuffix(".yaml") || name.hasSuffix(".yml") }

    /// Decodes the files of one folder (`bytes` nil: unreadable): every rule valid, or none.
    package static func decode(_ files: [(path: String, bytes: Data?)], folder: String) throws(RuleLoadFailure) -> RuleSet {
        var rules: [Rule] = []
        var allowlist: [AllowlistEntry] = []
        var errors: [RuleError] = []
        for (path, bytes) in files {
            let name = URL(fileURLWithPath: path).lastPathComponent
            guard let data = bytes, data.count <= 1 << 20 else {
                errors.append(RuleError(file: path, line: 1, column: 1, message: "cannot read the file (or it is over 1 MiB)"))
                continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                errors.append(RuleError(file: path, line: 1, column: 1, message: "the file is not UTF-8"))
                continue
            }
            var decoder = RuleDecoder(file: path, text: text, sha256: Digest.sha256(data))
            if name == "allowlist.yaml" || name == "allowlist.yml" {
                allowlist += decoder.allowlist()
            } else if let rule = decoder.rule() {
                rules.append(rule)
            }
            errors += decoder.errors
        }
        var seen: [String: String] = [:]
        for rule in rules {
            if let other = seen[rule.id] {
                errors.append(RuleError(file: rule.file, line: 1, column: 1, message: "rule id '\(rule.id)' is used twice (also in \(other))"))
            }
            seen[rule.id] = rule.file
        }
        if !errors.isEmpty { throw .invalid(folder: folder, errors) }
        return RuleSet(rules: rules.sorted { $0.id < $1.id }, allowlist: allowlist, folder: folder)
    }

    /// The allow-list entry covering `ip`, if any.
    public func allowed(_ ip: IPAddress) -> AllowlistEntry? { allowlist.first { $0.network.contains(ip) } }
}
