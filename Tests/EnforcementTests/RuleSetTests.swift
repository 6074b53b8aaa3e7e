import EnforcementEngine
import LogParsers
import Foundation
import Primitives
import Testing

struct RuleSetTests {
    static func folder(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return url
    }

    static let good = """
        id: rbl
        description: listed
        applies_to: [active]
        window: 24h
        when:
          - count: rejected.rbl
            at_least: 50
          - distinct_reporters: { at_least: 2 }
        action: open_case
        severity: medium

        """

    @Test func loadsTheShippedRules() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("rules")
        let set = try RuleSet.load(folder: shipped.path)
        #expect(set.rules.map(\.id) == [
            "registered-dictionary-attack", "registered-rbl-listed", "registered-sasl-bruteforce", "registered-spam-content", "suspended-still-sending",
            "unregistered-sender",
        ])
        let suspend = try #require(set.rules.first { $0.action == .suspend })
        #expect(suspend.minimumOrganisations >= 2)
        #expect(set.rules.allSatisfy { $0.fileSHA256.count == 64 })
    }

    @Test func oneBadFileLoadsNothingAndSaysWhere() throws {
        let bad = """
            id: bad
            description: broken
            applies_to: [active, sleeping]
            window: 24h
            when:
              - count: rejected.unknwn
                at_least: 10
            action: open_case
            severty: high

            """
        let url = try Self.folder(["good.yaml": Self.good, "bad.yaml": bad])
        defer { try? FileManager.default.removeItem(at: url) }
        #expect {
            try RuleSet.load(folder: url.path)
        } throws: { error in
            let errors = (error as! RuleLoadFailure).errors
            let places = Set(errors.map { "\($0.line):\($0.column)" })
            return errors.allSatisfy { $0.file.hasSuffix("bad.yaml") } && places == ["3:22", "6:12", "9:1"]
        }
    }

    @Test func refusesASuspendRuleThatOneOrganisationCouldTrigger() throws {
        let rule = Self.good.replacingOccurrences(of: "action: open_case", with: "action: suspend")
        let url = try Self.folder(["suspend.yaml": rule])
        defer { try? FileManager.default.removeItem(at: url) }
        #expect {
            try RuleSet.load(folder: url.path)
        } throws: { error in
            (error as! RuleLoadFailure).errors.contains { $0.message.contains("at least 2 distinct organisations") && $0.line == 9 }
        }
    }

    /// A window so large that it overflows when turned into milliseconds is refused at its
    /// place like any window over 31 days, not a crash (found by the rules fuzz target).
    @Test func refusesAWindowTooLargeToCountWithoutOverflow() throws {
        let url = try Self.folder([
            "huge.yaml": Self.good.replacingOccurrences(of: "window: 24h", with: "window: 241111111111111111h"),
            "long.yaml": Self.good.replacingOccurrences(of: "window: 24h", with: "window: 32d").replacingOccurrences(of: "id: rbl", with: "id: rbl2"),
        ])
        defer { try? FileManager.default.removeItem(at: url) }
        #expect {
            try RuleSet.load(folder: url.path)
        } throws: { error in
            let errors = (error as! RuleLoadFailure).errors
            return errors.count == 2 && errors.allSatisfy { $0.message.contains("at most 31d") && $0.line == 4 }
        }
        let edge = try Self.folder(["edge.yaml": Self.good.replacingOccurrences(of: "window: 24h", with: "window: 744h")])
        defer { try? FileManager.default.removeItem(at: edge) }
        #expect(try RuleSet.load(folder: edge.path).rules.first?.window == 31 * 86_400_000)
    }

    @Test func reportsYAMLSyntaxErrorsWithTheirPlace() throws {
        let url = try Self.folder(["broken.yaml": "id: x\nwhen: [\n  - count: a\n"])
        defer { try? FileManager.default.removeItem(at: url) }
        #expect {
            try RuleSet.load(folder: url.path)
        } throws: { error in
            let first = (error as! RuleLoadFailure).errors[0]
            return first.message.contains("YAML") && first.line >= 2
        }
    }

    /// YAML breaks lines at a lone CR (and NEL, LS, PS) where editors see one line: such a
    /// file is refused at the place an editor shows, never at a line past its end (found
    /// by the rules fuzz target). CRLF files load.
    @Test func refusesLineBreaksEditorsDoNotCountAtTheirPlace() throws {
        let url = try Self.folder(["mac.yaml": "id: x\ndescription: a\rwhen: []\n", "nel.yaml": "id: y\n  desc\u{2028}ription: b\n"])
        defer { try? FileManager.default.removeItem(at: url) }
        #expect {
            try RuleSet.load(folder: url.path)
        } throws: { error in
            let errors = (error as! RuleLoadFailure).errors
            let mac = errors.first { $0.file.hasSuffix("mac.yaml") }
            let nel = errors.first { $0.file.hasSuffix("nel.yaml") }
            return mac?.line == 2 && mac?.column == 15 && mac?.message.contains("carriage return") == true && nel?.line == 2 && nel?.column == 7
                && nel?.message.contains("U+2028") == true
        }
        let crlf = try Self.folder(["rbl.yaml": Self.good.replacingOccurrences(of: "\n", with: "\r\n")])
        defer { try? FileManager.default.removeItem(at: crlf) }
        #expect(try RuleSet.load(folder: crlf.path).rules.count == 1)
    }

    @Test func readsTheAllowlist() throws {
        let url = try Self.folder(["allowlist.yaml": "- network: 192.0.2.0/24\n  reason: registry probes\n", "rbl.yaml": Self.good])
        defer { try? FileManager.default.removeItem(at: url) }
        let set = try RuleSet.load(folder: url.path)
        #expect(set.allowlist.map(\.network.description) == ["192.0.2.0/24"])
        #expect(set.allowed(IPAddressHelper.ip("192.0.2.9")) != nil)
    }
}

enum IPAddressHelper {
    static func ip(_ text: String) -> IPAddress { IPAddress(text)! }
}
