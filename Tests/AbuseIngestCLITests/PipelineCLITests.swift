import Demo
import EnforcementEngine
import Foundation
import Glibc
import TestSupport
import Testing

/// The pipeline through the commands an operator types: the shipped rules from any folder,
/// evaluation feeding the DNS zone, the allow-list, and stores that do not depend on the
/// order or concurrency of ingest runs.
@Suite(.serialized)
struct PipelineCLITests {
    /// `demo` from an empty folder with a relative `--dir`: the shipped rules travel with the
    /// binary into the demo's data folder, where `evaluate` then finds them; a data folder
    /// with no rules anywhere near falls back to the shipped ones.
    @Test func demoRunsFromAnyFolderAndEvaluateFindsTheShippedRules() throws {
        let elsewhere = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let demo = try CommandRunner.run(["demo", "--dir", "sample"], in: elsewhere)
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("C-2026-000001 [opened] 198.51.100.20"))
        let written = elsewhere.appendingPathComponent("sample/rules")
        let shipped = CommandRunner.repository.appendingPathComponent("rules")
        for name in try FileManager.default.contentsOfDirectory(atPath: shipped.path) {
            #expect(FileManager.default.contents(atPath: written.appendingPathComponent(name).path) == FileManager.default.contents(atPath: shipped.appendingPathComponent(name).path), "\(name) travels byte for byte")
        }
        let again = try CommandRunner.run(["evaluate", "--db", "sample/abuse-ingest.db", "--as-of", "2026-11-29T00:00:00Z", "--dry-run"], in: elsewhere)
        #expect(again.status == 0 && again.stderr.contains("(\(written.path))") || again.stderr.contains("(sample/rules)"), "\(again.stderr)")
        // No rules folder anywhere: the shipped rules, said so.
        let bare = try CommandRunner.run(["evaluate", "--db", elsewhere.appendingPathComponent("bare/abuse-ingest.db").path, "--dry-run"], in: elsewhere)
        #expect(bare.status == 0, "\(bare.stderr)")
        #expect(bare.stderr.contains("6 rules (\(RuleSet.shippedFolderName))"), "\(bare.stderr)")
    }

    /// A rules folder that does not exist: one error naming it and how to point elsewhere,
    /// exit 2, never a `rules:0:0` place.
    @Test func aMissingRulesFolderIsOneClearError() throws {
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("no-such-rules").path
        let db = folder.appendingPathComponent("abuse-ingest.db").path
        for arguments in [["evaluate", "--rules", missing, "--db", db], ["rules", "lint", missing], ["demo", "--dir", folder.appendingPathComponent("d").path, "--rules", missing]] {
            let result = try CommandRunner.run(arguments)
            #expect(result.status == 2, "\(arguments[0]): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "one error line: \(result.stderr)")
            #expect(result.stderr.hasPrefix("abuse-ingest: error: the rules folder \(missing) does not exist"))
            #expect(result.stderr.contains("--rules DIR") && !result.stderr.contains(":0:0"))
        }
    }

    /// `evaluate`, then the real `registry serve-dns` process: the suspended attacker answers
    /// 127.0.0.3 with its case in TXT; after `cases dismiss`, 127.0.0.2 again.
    @Test func evaluateThenTheDNSServerAnswersTheSuspensionAndTheDismissal() throws {
        let demo = try DemoData()
        defer { demo.remove() }
        let store = try DemoData.store(from: demo)
        defer { try? FileManager.default.removeItem(at: store) }
        let db = store.appendingPathComponent("abuse-ingest.db").path
        let evaluated = try CommandRunner.run(["evaluate", "--db", db, "--as-of", "2026-11-29T00:00:00Z", "--json"])
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(evaluated.stdout.contains(#""case":"C-2026-000001","change":"opened""#) && evaluated.stdout.contains(#""status":"suspended""#))
        let port = freePort()
        let server = try CommandRunner.start(["registry", "serve-dns", "--db", db, "--listen", "127.0.0.1:\(port)", "--zone", "reg.example.org", "--threads", "1"])
        defer { CommandRunner.stop(server) }
        let name = "20.100.51.198.reg.example.org"
        let first = try Self.dig(port, name, "A", until: { $0 == "127.0.0.3\n" })
        #expect(first == "127.0.0.3\n")
        #expect(try Self.dig(port, name, "TXT") == "\"v=reg1; status=suspended; registrant=R-000124; case=C-2026-000001\"\n")
        // A deployment without the database asks the zone the same thing.
        let remote = try CommandRunner.run(["registry", "lookup", "--server", "127.0.0.1:\(port)", "--zone", "reg.example.org", "198.51.100.20", "203.0.113.9"])
        #expect(remote.status == 0, "\(remote.stderr)")
        let lines = remote.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("198.51.100.20 suspended") == true && lines.first?.contains("registrant=R-000124 case=C-2026-000001") == true, "\(remote.stdout)")
        #expect(lines.last?.hasPrefix("203.0.113.9 unregistered") == true)
        let dismissed = try CommandRunner.run(["cases", "dismiss", "C-2026-000001", "--by", "alice", "--reason", "double opt-in proven", "--db", db])
        #expect(dismissed.status == 0, "\(dismissed.stderr)")
        #expect(try Self.dig(port, name, "A", until: { $0 == "127.0.0.2\n" }) == "127.0.0.2\n", "the dismissal shows at the next queries")
    }

    /// `dig +short` against a local port, asked again (up to 5 s) until `until` holds.
    static func dig(_ port: Int, _ name: String, _ type: String, until: (String) -> Bool = { _ in true }) throws -> String {
        let dig = try Requirement.program("dig", debianPackage: "bind9-dnsutils")
        var answer = ""
        let deadline = Date().addingTimeInterval(5)
        repeat {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: dig)
            process.arguments = ["@127.0.0.1", "-p", String(port), "+short", "+time=1", "+tries=1", name, type]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            answer = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            if until(answer) { return answer }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        return answer
    }

    /// The allow-list is honoured by `evaluate`: the same store and rules open the
    /// attacker's case, but not once its network is allow-listed.
    @Test func evaluateHonoursTheAllowlist() throws {
        let demo = try DemoData()
        defer { demo.remove() }
        let store = try DemoData.store(from: demo)
        defer { try? FileManager.default.removeItem(at: store) }
        let db = store.appendingPathComponent("abuse-ingest.db").path
        let rules = store.appendingPathComponent("my-rules")
        try FileManager.default.copyItem(at: CommandRunner.repository.appendingPathComponent("rules"), to: rules)
        let plain = try CommandRunner.run(["evaluate", "--db", db, "--rules", rules.path, "--as-of", "2026-11-29T00:00:00Z", "--dry-run", "--json"])
        #expect(plain.status == 0 && plain.stdout.contains(#""subject":"198.51.100.20""#), "without the allow-list the attacker is found: \(plain.stdout)")
        try "- network: 198.51.100.16/28\n  reason: the registry's own test senders\n".write(to: rules.appendingPathComponent("allowlist.yaml"), atomically: true, encoding: .utf8)
        let allowed = try CommandRunner.run(["evaluate", "--db", db, "--rules", rules.path, "--as-of", "2026-11-29T00:00:00Z", "--json"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(!allowed.stdout.contains("198.51.100.20"), "an allow-listed network opens no case: \(allowed.stdout)")
        #expect(allowed.stdout.contains(#""subject":"198.51.100.40""#), "the other cases still open")
        let lookup = try CommandRunner.run(["registry", "lookup", "--db", db, "198.51.100.20"])
        #expect(lookup.stdout.hasPrefix("198.51.100.20 active"), "and nothing is suspended: \(lookup.stdout)")
    }

    /// The same shipments ingested in two orders, in two processes per file each: `ip show
    /// --json` and the exported evidence (with the same keys) are the same bytes, so the
    /// samples do not depend on arrival order.
    @Test func samplesAreTheSameWhateverOrderFilesArriveIn() throws {
        let demo = try DemoData()
        defer { demo.remove() }
        let count = demo.shipments.count
        let forward = try DemoData.store(from: demo)
        let backward = try DemoData.store(from: demo, order: (0..<count).reversed().map { ($0 * 5) % count })
        defer { for folder in [forward, backward] { try? FileManager.default.removeItem(at: folder) } }
        var outputs: [[Data]] = []
        for (n, folder) in [forward, backward].enumerated() {
            let db = folder.appendingPathComponent("abuse-ingest.db").path
            #expect(try CommandRunner.run(["evaluate", "--db", db, "--as-of", "2026-11-29T00:00:00Z"]).status == 0)
            if n == 0 { #expect(try CommandRunner.run(["evidence", "export", "C-2026-000002", "--out", folder.appendingPathComponent("x").path, "--db", db]).status == 0) }
            if n == 1 {
                // One registry key for both, so that the signatures and pseudonyms can match.
                #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("keys").path), "evaluate made no key")
                try FileManager.default.copyItem(at: forward.appendingPathComponent("keys"), to: folder.appendingPathComponent("keys"))
            }
            var bytes: [Data] = []
            for address in [DemoScenario.dictionaryAttacker, DemoScenario.blockListed, DemoScenario.unregisteredSpammer] {
                let shown = try CommandRunner.run(["ip", "show", address, "--json", "--db", db])
                #expect(shown.status == 0)
                bytes.append(Data(shown.stdout.utf8))
            }
            // Fewer samples than each shipment keeps: the reservoir's choice shows.
            for (caseID, samples) in [("C-2026-000001", "20"), ("C-2026-000001", "3"), ("C-2026-000003", "2")] {
                let zip = folder.appendingPathComponent("\(caseID)-\(samples).zip")
                let exported = try CommandRunner.run(["evidence", "export", caseID, "--out", zip.path, "--samples-per-reporter", samples, "--db", db])
                #expect(exported.status == 0, "\(exported.stderr)")
                bytes.append(try Data(contentsOf: zip))
            }
            bytes.append(Data(try CommandRunner.run(["cases", "show", "C-2026-000001", "--json", "--db", db]).stdout.utf8))
            outputs.append(bytes)
        }
        #expect(outputs[0].count == 7 && outputs[0] == outputs[1], "the same bytes whatever the order")
    }

    /// Two `ingest` processes on one database at the same time, with a file in common: both
    /// finish, the common file is ingested once, and the store is what one run gives.
    @Test func twoIngestProcessesAtOnceLeaveACorrectStore() throws {
        let demo = try DemoData()
        defer { demo.remove() }
        let reference = try DemoData.store(from: demo)
        defer { try? FileManager.default.removeItem(at: reference) }
        let store = try DemoData.store(from: demo, order: [])
        defer { try? FileManager.default.removeItem(at: store) }
        let db = store.appendingPathComponent("abuse-ingest.db").path
        let north = demo.shipments.filter { $0.reporter == "isp-north" }.map(\.path)
        let first = try CommandRunner.start(["ingest", "--reporter", "isp-north", "--db", db, "--json"] + north)
        let second = try CommandRunner.start(["ingest", "--reporter", "isp-north", "--db", db, "--json"] + north.reversed())
        var statuses: [String] = []
        for process in [first, second] {
            let output = (process.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(String(decoding: (process.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
            statuses += String(decoding: output, as: UTF8.self).split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["status"] as? String
            }
        }
        #expect(statuses.sorted() == ["duplicate", "duplicate", "duplicate", "ingested", "ingested", "ingested"], "each file ingested once: \(statuses)")
        for rest in demo.shipments.filter({ $0.reporter != "isp-north" }) {
            #expect(try CommandRunner.run(["ingest", "--reporter", rest.reporter, "--db", db, rest.path]).status == 0)
        }
        let opened = try StoreDatabases.open(db)
        let expected = try StoreDatabases.open(reference.appendingPathComponent("abuse-ingest.db").path)
        #expect(try StoreDump.dump(opened) == StoreDump.dump(expected), "the same store as one run per file")
        #expect(try StoreDump.integrity(opened) == "ok")
    }
}
