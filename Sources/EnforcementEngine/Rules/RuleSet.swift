import Crypto
import Foundation
import LogParsers
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

    /// Loads `folder/*.yaml` (and `allowlist.yaml`). Any error anywhere: nothing loads.
    public static func load(folder: String) throws(RuleLoadFailure) -> RuleSet {
        let url = URL(fileURLWithPath: folder)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw RuleLoadFailure(errors: [RuleError(file: folder, line: 0, column: 0, message: "cannot read the rules folder")])
        }
        var rules: [Rule] = []
        var allowlist: [AllowlistEntry] = []
        var errors: [RuleError] = []
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let path = url.appendingPathComponent(name).path
            guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 else {
                errors.append(RuleError(file: path, line: 0, column: 0, message: "cannot read the file (or it is over 1 MiB)"))
                continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                errors.append(RuleError(file: path, line: 0, column: 0, message: "the file is not UTF-8"))
                continue
            }
            let sha = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            var decoder = RuleDecoder(file: path, text: text, sha256: sha)
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
        if !errors.isEmpty { throw RuleLoadFailure(errors: errors) }
        return RuleSet(rules: rules.sorted { $0.id < $1.id }, allowlist: allowlist, folder: folder)
    }

    /// The allow-list entry covering `ip`, if any.
    public func allowed(_ ip: IPAddress) -> AllowlistEntry? { allowlist.first { $0.network.contains(ip) } }
}
