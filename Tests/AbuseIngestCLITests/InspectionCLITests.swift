import Foundation
import GRDB
import TestSupport
import Testing

/// What staff and operators read and decide through the CLI, on the demo's data: `ip show`,
/// `reporters status`, `rules lint` and `rules test`, `keys show`, a third party's `evidence
/// verify`, and the decisions on cases.
@Suite(.serialized)
struct InspectionCLITests {
    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "a JSON object: \(text)")
    }

    @Test func ipShowGivesRegistrationCountsPerReporterAndDayAndCases() throws {
        let demo = try DemoData()
        defer { demo.remove() }
        let shown = try demo.run(["ip", "show", "198.51.100.20", "--json"])
        #expect(shown.status == 0)
        let json = try Self.object(shown.stdout)
        #expect(json.keys.sorted() == ["cases", "first_seen", "ip", "last_seen", "registration", "reporters"])
        let registration = try #require(json["registration"] as? [[String: Any]])
        #expect(registration.map { $0["status"] as? String } == ["active", "suspended"])
        #expect(registration.last?["case"] as? String == "C-2026-000001" && registration.last?["provisional"] as? Bool == true)
        let reporters = try #require(json["reporters"] as? [String: [String: [String: Int]]])
        #expect(reporters.keys.sorted() == ["isp-east", "isp-north", "isp-south"])
        #expect(reporters["isp-north"]?["2026-11-28"] == ["connect": 150, "rejected": 150, "rejected.unknown_recipient": 150])
        #expect(reporters["isp-east"]?.keys.sorted() == ["2026-11-26", "2026-11-27", "2026-11-28"])
        #expect((json["cases"] as? [[String: Any]])?.map { $0["id"] as? String } == ["C-2026-000001"])
        // A window: only the last night.
        let night = try Self.object(try demo.run(["ip", "show", "198.51.100.20", "--json", "--from", "2026-11-28T00:00:00Z", "--to", "2026-11-28T23:59:59Z"]).stdout)
        #expect((night["reporters"] as? [String: [String: Any]])?["isp-east"]?.keys.sorted() == ["2026-11-28"])
        let text = try demo.run(["ip", "show", "198.51.100.20"]).stdout
        #expect(text.contains("2026-11-29T00:00:00Z 198.51.100.16/28 suspended registrant=R-000124") && text.contains("case C-2026-000001: suspended"))
        #expect(try demo.run(["ip", "show", "999.1.1.1"]).status == 2)
    }

    @Test func reportersStatusShowsQualityFiguresAndFlagsAMissedNight() throws {
        let demo = try DemoData()
        defer { demo.remove() }
        let fresh = try Self.json(demo.run(["reporters", "status", "--json", "--as-of", "2026-11-29T06:00:00Z"]).stdout)
        #expect(fresh.map { ($0["reporter"] as? [String: Any])?["id"] as? String } == ["isp-east", "isp-north", "isp-south", "isp-west"])
        let north = try #require(fresh.first { ($0["reporter"] as? [String: Any])?["id"] as? String == "isp-north" })
        let shipments = try #require(north["shipments"] as? [[String: Any]])
        #expect(shipments.count == 3)
        let last = try #require(shipments.first { $0["file"] as? String == "2026-11-28.log.gz" })
        #expect(last["lines"] as? Int == 661 && last["events"] as? Int == 660 && last["skipped"] as? Int == 1 && last["unparsed"] as? Int == 0)
        #expect(last["first_event"] as? String == "2026-11-28T00:08:35Z" && last["gap_hours"] as? Int == 0 && last["status"] as? String == "ingested")
        #expect(north["missed_nights"] as? Int == 0 && (north["flags"] as? [String]) == [])
        let west = try #require(fresh.first { ($0["reporter"] as? [String: Any])?["id"] as? String == "isp-west" })
        #expect(west["contradicted"] as? Int == 1 && (west["flags"] as? [String]) == ["contradicted"], "the lone accuser is flagged")
        // Two days later nobody has shipped: every reporter missed two nights.
        let late = try Self.json(demo.run(["reporters", "status", "--json", "--as-of", "2026-12-01T06:00:00Z"]).stdout)
        #expect(late.allSatisfy { $0["missed_nights"] as? Int == 2 && ($0["flags"] as? [String])?.contains("missed_night") == true })
        let text = try demo.run(["reporters", "status", "isp-north", "--as-of", "2026-12-01T06:00:00Z"]).stdout
        #expect(text.hasPrefix("isp-north (North Telecom)  MISSED 2 night(s)\n"), "\(text)")
        #expect(text.contains("ingested 2026-11-28.log.gz: 661 lines, 660 events, 1 skipped, 0 unparsed (0.0 %), 2026-11-28T00:08:35Z to 2026-11-28T23:50:44Z"))
        #expect(try demo.run(["reporters", "status", "isp-nowhere"]).status == 2)
    }

    static func json(_ text: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], "a JSON array: \(text)")
    }

    @Test func rulesLintAndRulesTestExplainTheRules() throws {
        let demo = try DemoData()
        defer { demo.remove() }
        let shipped = CommandRunner.repository.appendingPathComponent("rules").path
        let lint = try CommandRunner.run(["rules", "lint", shipped])
        #expect(lint.status == 0 && lint.stdout.hasPrefix("\(shipped): 6 rules valid, 0 allow-listed networks\n"), "\(lint.stdout)")
        #expect(lint.stdout.contains("  registered-dictionary-attack: suspend, high, window 24h, applies to active"))
        let broken = demo.folder.appendingPathComponent("broken-rules")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try "id: x\ndescription: y\napplies_to: [sleeping]\nwindow: 24h\nwhen:\n  - count: rejected\n    at_least: 1\naction: open_case\nseverity: low\n"
            .write(to: broken.appendingPathComponent("x.yaml"), atomically: true, encoding: .utf8)
        let bad = try CommandRunner.run(["rules", "lint", broken.path])
        #expect(bad.status == 2 && bad.stderr.contains("(\(broken.path)/x.yaml:3:14)"), "\(bad.stderr)")
        // Three reporters' files of the last night: the attack fires, each figure shown.
        let files = ["isp-north", "isp-south", "isp-east"].map { demo.folder.appendingPathComponent("logs/\($0)/2026-11-28.log.gz").path }
        let test = try CommandRunner.run(["rules", "test", "--rules", shipped, "--db", demo.db] + files)
        #expect(test.status == 0, "\(test.stderr)")
        #expect(test.stdout.contains("registered-dictionary-attack 198.51.100.20: FIRES → suspend\n  ✔ count rejected.unknown_recipient: 400 (needs ≥ 200)\n  ✔ distinct_reporters: 3 (needs ≥ 3)"), "\(test.stdout)")
        #expect(test.stdout.contains("registered-rbl-listed 198.51.100.40: FIRES → open_case"))
        #expect(test.stderr.contains("2026-11-28.log.gz: 660 events"))
    }

    /// `keys show` never makes a key; a third party verifying a bundle in a folder of its
    /// own gets no key made either, and is told which key signed it and how to pass it.
    @Test func keysAreNeverMadeByReadingAndVerifyNamesTheSigningKey() throws {
        let demo = try DemoData()
        defer { demo.remove() }
        let shown = try demo.run(["keys", "show"])
        #expect(shown.status == 0)
        let lines = shown.stdout.split(separator: "\n").map(String.init)
        let publicKey = try #require(lines.last)
        #expect(Data(base64Encoded: publicKey)?.count == 32, "the last line is the base64 Ed25519 public key")
        let fingerprint = try #require(lines.first?.split(separator: " ").last.map { String($0.dropLast()) })
        #expect(fingerprint.hasPrefix("sha256:") && fingerprint.count == 71)

        let stranger = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: stranger) }
        let strangerDB = stranger.appendingPathComponent("abuse-ingest.db").path
        let none = try CommandRunner.run(["keys", "show", "--db", strangerDB])
        #expect(none.status == 1 && none.stderr.contains("no registry key"))
        let bundle = stranger.appendingPathComponent("C-2026-000001")
        try FileManager.default.copyItem(at: demo.folder.appendingPathComponent("evidence/C-2026-000001"), to: bundle)
        let unkeyed = try CommandRunner.run(["evidence", "verify", bundle.path, "--db", strangerDB])
        #expect(unkeyed.status == 2 && unkeyed.stderr.contains("signed by the key \(fingerprint)") && unkeyed.stderr.contains("--public-key"), "\(unkeyed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: stranger.appendingPathComponent("keys").path), "no key was made")
        let verified = try CommandRunner.run(["evidence", "verify", bundle.path, "--db", strangerDB, "--public-key", publicKey])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(!FileManager.default.fileExists(atPath: stranger.appendingPathComponent("keys").path))
    }

    @Test func staffDecisionsChangeCasesAndRegistrationsAndAreAudited() throws {
        let demo = try DemoData()
        defer { demo.remove() }
        let approved = try demo.run(["cases", "approve", "C-2026-000001", "--by", "alice", "--reason", "list washing confirmed"])
        #expect(approved.status == 0 && approved.stdout == "C-2026-000001: confirmed\n")
        let lookup = try demo.run(["registry", "lookup", "--json", "198.51.100.20"])
        #expect(lookup.stdout.contains(#""status":"suspended""#))
        let reinstated = try demo.run(["cases", "reinstate", "C-2026-000001", "--by", "bob", "--reason", "cleaned up, new operator"])
        #expect(reinstated.status == 0 && reinstated.stdout == "C-2026-000001: reinstated\n")
        #expect(try demo.run(["registry", "lookup", "198.51.100.20"]).stdout.hasPrefix("198.51.100.20 active"))
        let dismissed = try demo.run(["cases", "dismiss", "C-2026-000002", "--by", "alice", "--reason", "listing was a mistake"])
        #expect(dismissed.status == 0 && dismissed.stdout == "C-2026-000002: dismissed\n")
        let refused = try demo.run(["cases", "approve", "C-2026-000002", "--by", "alice", "--reason", "late"])
        #expect(refused.status == 2 && refused.stderr.contains("a case that is dismissed cannot be given 'approve'"))
        #expect(try demo.run(["cases", "approve", "C-2026-000003", "--by", "engine", "--reason", "x"]).status == 2, "a decision needs a person")
        #expect(try demo.run(["cases", "approve", "C-2026-000003", "--by", "alice"]).status == 2, "and a reason")
        #expect(try demo.run(["cases", "approve", "C-2099-000001", "--by", "alice", "--reason", "x"]).status == 2, "and a case")
        let history = try #require(try Self.object(try demo.run(["cases", "show", "C-2026-000001", "--json"]).stdout)["history"] as? [[String: Any]])
        #expect(history.map { $0["actor"] as? String } == ["engine", "engine", "alice", "bob"])
        #expect(history.map { $0["action"] as? String }.suffix(2) == ["approve", "reinstate"])
        let list = try Self.json(demo.run(["cases", "list", "--json", "--status", "dismissed"]).stdout)
        #expect(list.map { $0["id"] as? String } == ["C-2026-000002"])
    }

    /// A stored value that does not decode is an error naming the case, never shown as
    /// empty.
    @Test func corruptStoredFiguresAreAnErrorNamingTheCase() throws {
        let demo = try DemoData()
        defer { demo.remove() }
        let queue = try DatabaseQueue(path: demo.db)
        try queue.write { try $0.execute(sql: "UPDATE enforcement_case SET reporters = '[\"isp-north\"', figures = '{' WHERE id = 'C-2026-000002'") }
        try queue.close()
        for arguments in [["cases", "list", "--json"], ["cases", "show", "C-2026-000002"], ["evidence", "export", "C-2026-000002", "--out", demo.folder.appendingPathComponent("x").path]] {
            let result = try demo.run(arguments)
            #expect(result.status == 1, "\(arguments): \(result.stdout)")
            #expect(result.stderr.hasPrefix("abuse-ingest: error: case C-2026-000002: the stored"), "\(arguments): \(result.stderr)")
        }
    }
}
