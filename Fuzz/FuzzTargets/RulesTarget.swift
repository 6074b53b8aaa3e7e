import EnforcementEngine
import Foundation

/// The rules loader: any bytes as a rules file and as the allow-list give rules or errors
/// with a place inside the file, never a crash.
enum RulesTarget {
    static let target = FuzzTarget(name: "rules", run: run, seeds: seeds)

    static func run(_ data: UnsafeRawBufferPointer) {
        let bytes = Data(data)
        for name in ["fuzz.yaml", "allowlist.yaml"] {
            do {
                let set = try RuleSet.decode([(path: name, bytes: bytes)], folder: "fuzz")
                precondition(set.rules.count <= 1, "one file gave several rules")
                for rule in set.rules where rule.action == .suspend {
                    precondition(rule.minimumOrganisations >= 2, "a suspend rule that one organisation could trigger was loaded")
                }
            } catch {
                precondition(!error.errors.isEmpty, "a failure without a problem")
                let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).count
                for problem in error.errors {
                    precondition(problem.line >= 1 && problem.line <= lines + 1 && problem.column >= 1, "a problem placed outside the file: \(problem)")
                }
            }
        }
    }

    static func seeds(_ repository: URL) throws -> [(name: String, bytes: [UInt8])] {
        let folder = repository.appendingPathComponent("rules")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().filter { $0.hasSuffix(".yaml") }.map {
            ($0, Array(try Data(contentsOf: folder.appendingPathComponent($0))))
        }
    }
}
