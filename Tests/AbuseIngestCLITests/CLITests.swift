import Foundation
import TestSupport
import Testing

/// The `abuse-ingest` executable as users and scripts run it: exit codes, error lines,
/// JSON output (FORMATS.md §1).
@Suite(.serialized)
struct CLITests {
    static func run(_ arguments: [String], stdin: Data? = nil) throws -> CommandRunner.Result {
        try CommandRunner.run(arguments, stdin: stdin)
    }

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }


    /// FORMATS.md §8: `registry dnssec keygen --out FILE` makes a key (mode 0600, never
    /// overwritten); `registry dnssec ds --key FILE` prints its DS, given the zone when the
    /// file names none; a key for one zone is refused for another.
    @Test func dnssecKeygenAndDSAsTheContractSays() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("abuse-ingest.db").path
        let bare = folder.appendingPathComponent("bare.key").path
        let made = try Self.run(["registry", "dnssec", "keygen", "--db", db, "--out", bare])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("DNSKEY 257 3 13 "))
        let mode = try FileManager.default.attributesOfItem(atPath: bare)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try Self.run(["registry", "dnssec", "keygen", "--db", db, "--out", bare]).status == 1, "never overwritten")
        let noZone = try Self.run(["registry", "dnssec", "ds", "--db", db, "--key", bare])
        #expect(noZone.status == 2 && noZone.stderr.contains("names no zone"), "\(noZone.stderr)")
        let ds = try Self.run(["registry", "dnssec", "ds", "--db", db, "--key", bare, "--zone", "reg.example.org", "--json"])
        #expect(ds.status == 0, "\(ds.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(ds.stdout.utf8)) as? [String: Any]
        #expect((object?["ds"] as? String)?.hasPrefix("reg.example.org. IN DS \(object?["key_tag"] as? Int ?? -1) 13 2 ") == true, "\(ds.stdout)")

        let named = folder.appendingPathComponent("named.key").path
        #expect(try Self.run(["registry", "dnssec", "keygen", "--db", db, "--zone", "reg.example.org", "--algorithm", "15", "--out", named]).status == 0)
        let plain = try Self.run(["registry", "dnssec", "ds", "--db", db, "--key", named])
        #expect(plain.status == 0 && plain.stdout.contains("reg.example.org. IN DS ") && plain.stdout.contains(" 15 2 "), "\(plain.stdout)")
        let other = try Self.run(["registry", "dnssec", "ds", "--db", db, "--key", named, "--zone", "other.example"])
        #expect(other.status == 1 && other.stderr.contains("is a key for reg.example.org."), "\(other.stderr)")
    }

    @Test func parseReadsStandardInputAndPrintsTheSummaryAsJSON() throws {
        let log = "Nov 28 01:00:00 mx postfix/smtpd[1]: connect from a.example[192.0.2.1]\n"
        let result = try Self.run(["parse", "--reference-time", "2026-11-29T00:00:00Z", "--output", "none", "--summary-json", "-"], stdin: Data(log.utf8))
        #expect(result.status == 0)
        let summary = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(summary?["file"] as? String == "-")
        #expect(summary?["events"] as? Int == 1)
        #expect(summary?["complete"] as? Bool == true)
    }

    @Test func parseExitsThreeOnATruncatedGzipAndNamesTheOffset() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = folder.appendingPathComponent("mx.log")
        var text = ""
        for i in 0..<5000 { text += "Nov 28 01:00:00 mx postfix/smtpd[\(i)]: connect from h\(i).example[192.0.2.\(i % 200 + 1)]\n" }
        try text.write(to: plain, atomically: true, encoding: .utf8)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-n", plain.path]
        try gzip.run()
        gzip.waitUntilExit()
        let compressed = try Data(contentsOf: folder.appendingPathComponent("mx.log.gz"))
        let cut = folder.appendingPathComponent("cut.gz")
        try compressed.prefix(compressed.count / 2).write(to: cut)
        let result = try Self.run(["parse", "--output", "none", cut.path])
        #expect(result.status == 3)
        #expect(result.stderr.contains("abuse-ingest: error: truncated gzip stream"))
        #expect(result.stderr.contains("(\(cut.path), byte "))
    }

    @Test func usageErrorsExitTwo() throws {
        #expect(try Self.run(["parse", "--timezone", "Mars/Olympus", "x.log"]).status == 2)
        #expect(try Self.run(["parse", "--format", "lotus", "x.log"]).status == 2)
        #expect(try Self.run(["no-such-command"]).status == 2)
        #expect(try Self.run(["parse", "/nonexistent/file.log"]).status == 1)
        #expect(try Self.run(["--help"]).status == 0)
    }

    /// `serve-dns --xdp` that cannot be set up is a configuration error, with its reason.
    @Test func serveDNSWithAnUnusableXDPInterfaceExitsTwo() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("abuse-ingest.db").path
        let missing = try Self.run(["registry", "serve-dns", "--db", db, "--listen", "127.0.0.1:0", "--zone", "reg.example.org", "--xdp", "nosuch0"])
        #expect(missing.status == 2 && missing.stderr.contains("abuse-ingest: error: --xdp: no network interface 'nosuch0'"), "\(missing.stderr)")
        let v6 = try Self.run(["registry", "serve-dns", "--db", db, "--listen", "[::1]:0", "--zone", "reg.example.org", "--xdp", "lo"])
        #expect(v6.status == 2 && v6.stderr.contains("--xdp answers IPv4 only"), "\(v6.stderr)")
    }

    @Test func registryImportRejectsAFileWithBadRowsAndAppliesNothing() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("abuse-ingest.db").path
        let bad = folder.appendingPathComponent("bad.csv")
        try """
            network,registrant,status,abuse_contact,since
            198.51.100.0/28,R-000123,active,abuse@example.net,2026-01-15T00:00:00Z
            198.51.100.1/28,R-000124,active,abuse@example.net,2026-01-15T00:00:00Z
            192.0.2.0/24,R-000125,sleeping,abuse@example.net,2026-01-15T00:00:00Z

            """.write(to: bad, atomically: true, encoding: .utf8)
        let result = try Self.run(["registry", "import", "--db", db, bad.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("(\(bad.path):3)"))
        #expect(result.stderr.contains("(\(bad.path):4)"))
        let lookup = try Self.run(["registry", "lookup", "--db", db, "--json", "198.51.100.5"])
        #expect(lookup.status == 0)
        #expect(lookup.stdout.contains("\"status\":\"unregistered\""), "nothing of the bad file was applied")
    }

    @Test func registryImportThenLookupAtTimes() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("abuse-ingest.db").path
        let csv = folder.appendingPathComponent("registry.csv")
        try """
            network,registrant,status,abuse_contact,since
            198.51.100.0/24,R-000100,active,abuse@example.net,2026-01-01T00:00:00Z
            198.51.100.0/28,R-000123,suspended,abuse@example.net,2026-06-01T00:00:00Z

            """.write(to: csv, atomically: true, encoding: .utf8)
        let first = try Self.run(["registry", "import", "--db", db, "--json", csv.path])
        #expect(first.status == 0)
        #expect(first.stdout.contains("\"added\":2"))
        let again = try Self.run(["registry", "import", "--db", db, "--json", csv.path])
        #expect(again.stdout.contains("\"unchanged\":2"))
        let before = try Self.run(["registry", "lookup", "--db", db, "--at", "2026-05-01T00:00:00Z", "198.51.100.5"])
        #expect(before.stdout == "198.51.100.5 active 198.51.100.0/24 registrant=R-000100 since=2026-01-01T00:00:00Z\n")
        let after = try Self.run(["registry", "lookup", "--db", db, "--at", "2026-07-01T00:00:00Z", "198.51.100.5"])
        #expect(after.stdout.hasPrefix("198.51.100.5 suspended 198.51.100.0/28"))
        #expect(try Self.run(["registry", "lookup", "--db", db, "not-an-ip"]).status == 2)
    }
}

extension CLITests {
    /// The README's first quick-start command, twice: the second run changes nothing.
    @Test func demoRunsThePipelineAndIsIdempotent() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("rules").path
        let first = try Self.run(["demo", "--dir", folder.path, "--rules", rules])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("C-2026-000001 [opened] 198.51.100.20 — registered-dictionary-attack → suspend, now suspended"))
        #expect(first.stdout.contains("no case: isp-west alone accuses 198.51.100.50"))
        #expect(first.stdout.components(separatedBy: "verified (hashes, signature, excerpts against the archive)").count == 5, "four bundles verified")
        let second = try Self.run(["demo", "--dir", folder.path, "--rules", rules])
        #expect(second.status == 0)
        #expect(second.stdout.contains("3 duplicate"))
        #expect(!second.stdout.contains("[opened]"))
        let lookup = try Self.run(["registry", "lookup", "--db", folder.appendingPathComponent("abuse-ingest.db").path, "--at", "2026-11-29T00:00:01Z", "198.51.100.20"])
        #expect(lookup.stdout.contains("suspended") && lookup.stdout.contains("case=C-2026-000001"))
        // An unredacted export is an admin's named, audited choice.
        let db = folder.appendingPathComponent("abuse-ingest.db").path
        let zip = folder.appendingPathComponent("C-2026-000001.zip").path
        let anonymous = try Self.run(["evidence", "export", "C-2026-000001", "--db", db, "--out", zip, "--unredacted"])
        #expect(anonymous.status == 2 && anonymous.stderr.contains("--by"), "\(anonymous.stderr)")
        #expect(!FileManager.default.fileExists(atPath: zip))
        let named = try Self.run(["evidence", "export", "C-2026-000001", "--db", db, "--out", zip, "--unredacted", "--by", "alice", "--reason", "regulator request R-17"])
        #expect(named.status == 0, "\(named.stderr)")
        let verified = try Self.run(["evidence", "verify", zip, "--db", db, "--archive", folder.path])
        #expect(verified.status == 0, "\(verified.stderr)")
        let show = try Self.run(["cases", "show", "C-2026-000001", "--db", db])
        #expect(show.stdout.contains("alice: evidence exported unredacted") && show.stdout.contains("regulator request R-17"), "\(show.stdout)")
    }
}
