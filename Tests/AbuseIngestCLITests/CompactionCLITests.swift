import Crypto
import EnforcementEngine
import Foundation
import Primitives
import TestSupport
import Testing

/// `store compact` on the demo's store, as an operator runs it: what staff and third parties
/// read afterwards (`ip show`, a dry evaluation, the cases, the evidence bundles) is byte for
/// byte what they read before.
struct CompactionCLITests {
    /// Every output a reader gets from the store, by command.
    static func outputs(_ demo: DemoData, clients: [String], cases: [String], folder: URL) throws -> [String: String] {
        var result: [String: String] = [:]
        for ip in clients { result["ip show \(ip)"] = try demo.run(["ip", "show", ip, "--json"]).stdout }
        result["evaluate"] = try demo.run(["evaluate", "--dry-run", "--json", "--as-of", "2026-11-29T06:00:00Z"]).stdout
        result["cases list"] = try demo.run(["cases", "list", "--json"]).stdout
        for id in cases {
            result["cases show \(id)"] = try demo.run(["cases", "show", id, "--json"]).stdout
            let zip = folder.appendingPathComponent("\(id)-\(UUID().uuidString).zip").path
            let exported = try demo.run(["evidence", "export", id, "--out", zip])
            #expect(exported.status == 0, "\(exported.stderr)")
            result["evidence \(id)"] = SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: zip))).map { String(format: "%02x", $0) }.joined()
        }
        return result
    }

    @Test func compactionKeepsIPShowEvaluationCasesAndEvidenceByteIdentical() throws {
        let demo = try DemoData()
        defer { demo.remove() }
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var clients = Set<String>()
        try EngineStore(path: demo.db).forEachRecord { if let ip = $0.record.ip { clients.insert(ip.description) } }
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(try demo.run(["cases", "list", "--json"]).stdout.utf8)) as? [[String: Any]])
        let cases = listed.compactMap { $0["id"] as? String }
        #expect(clients.count > 40 && !cases.isEmpty)
        let before = try Self.outputs(demo, clients: clients.sorted(), cases: cases, folder: folder)

        let dry = try demo.run(["store", "compact", "--before", "2026-12-31", "--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let planned = try #require(try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [String: Any])
        #expect(planned["dry_run"] as? Bool == true && planned["segments_before"] as? Int == 12 && planned["segments_after"] as? Int == 4)
        // The demo's nights are in the week of 2026-11-23; by default (two days' grace)
        // today's week is never touched, and a week before --before only.
        let early = try demo.run(["store", "compact", "--before", "2026-11-29", "--json"])
        let none = try #require(try JSONSerialization.jsonObject(with: Data(early.stdout.utf8)) as? [String: Any])
        #expect(none["segments_after"] as? Int == 12 && (none["weeks"] as? [Any])?.isEmpty == true, "the week ends on 2026-11-29: \(early.stdout)")

        let done = try demo.run(["store", "compact", "--before", "2026-11-30"])
        #expect(done.status == 0, "\(done.stderr)")
        #expect(done.stdout.contains("isp-north week of 2026-11-23: 3 segments") && done.stdout.contains("segments 12 -> 4"), "\(done.stdout)")
        #expect(try Self.outputs(demo, clients: clients.sorted(), cases: cases, folder: folder) == before)

        #expect(try demo.run(["store", "compact", "--reporter", "isp-nowhere"]).status == 2)
        #expect(try demo.run(["store", "compact", "--before", "2026-13-01"]).status == 2)
    }
}
