import Crypto
import Demo
import EnforcementEngine
import Evidence
import Foundation
import LogParsers
import Primitives
import TestSupport
import Testing

/// The bundle of the scenario's suspension: deterministic, signed, and any change found.
@Suite(.serialized)
struct EvidenceBundleTests {
    struct Exported {
        let world: EnforcementScenarioTests.World
        let key: RegistryKey
        let folder: URL
        let caseID: String

        init() throws {
            world = try EnforcementScenarioTests.World()
            let changes = try world.evaluate()
            caseID = try #require(changes.first { $0.subject == DemoScenario.dictionaryAttacker }?.caseID)
            key = try RegistryKey.loadOrCreate(dataFolder: world.folder)
            folder = world.folder.appendingPathComponent("bundle-\(caseID)")
            try export(to: folder)
        }

        func export(to url: URL) throws {
            try EvidenceExporter(store: world.store, dataFolder: world.folder, key: key).bundle(caseID: caseID).write(to: url)
        }

        func verify(_ url: URL? = nil, key: Curve25519.Signing.PublicKey? = nil, archive: Bool = false) -> [String] {
            EvidenceVerifier(publicKey: key ?? self.key.privateKey.publicKey, archiveFolder: archive ? world.folder : nil).verify(url ?? folder)
        }

        func remove() { world.remove() }
    }

    @Test func exportingTwiceGivesIdenticalBytesAndVerifies() throws {
        let exported = try Exported()
        defer { exported.remove() }
        let again = exported.world.folder.appendingPathComponent("again")
        try exported.export(to: again)
        let names = EvidenceBundleTestsSupport.files(exported.folder)
        #expect(names.contains("excerpts/isp-north.log") && names.contains("timeline.csv") && names.contains("signature"))
        for name in names {
            #expect(try Data(contentsOf: exported.folder.appendingPathComponent(name)) == Data(contentsOf: again.appendingPathComponent(name)), "\(name) differs between exports")
        }
        #expect(exported.verify() == [])
        #expect(exported.verify(archive: true) == [])
    }

    @Test func aFlippedByteInAnyFileIsNamed() throws {
        let exported = try Exported()
        defer { exported.remove() }
        for name in EvidenceBundleTestsSupport.files(exported.folder) {
            let copy = exported.world.folder.appendingPathComponent("flip-\(UUID().uuidString)")
            try FileManager.default.copyItem(at: exported.folder, to: copy)
            let url = copy.appendingPathComponent(name)
            var data = try Data(contentsOf: url)
            data[data.count / 2] ^= 0x01
            try data.write(to: url)
            let problems = exported.verify(copy)
            #expect(!problems.isEmpty, "flipping a byte of \(name) must fail")
            let named = name == "manifest.json" || name == "signature" ? problems.contains { $0.hasPrefix("signature") || $0.hasPrefix("manifest") } : problems.contains { $0.hasPrefix(name) }
            #expect(named, "the problem names \(name): \(problems)")
        }
    }

    @Test func aMissingOrAddedFileFails() throws {
        let exported = try Exported()
        defer { exported.remove() }
        try FileManager.default.removeItem(at: exported.folder.appendingPathComponent("timeline.csv"))
        #expect(exported.verify().contains("timeline.csv: missing"))
        try Data("x".utf8).write(to: exported.folder.appendingPathComponent("excerpts/extra.log"))
        #expect(exported.verify().contains("excerpts/extra.log: not in the manifest"))
    }

    @Test func anotherKeyFails() throws {
        let exported = try Exported()
        defer { exported.remove() }
        let other = Curve25519.Signing.PrivateKey().publicKey
        let problems = exported.verify(key: other)
        #expect(problems == ["signature: the bundle names signing key \(exported.key.fingerprint), not the key given (\(RegistryKey.fingerprint(of: other)))"])
        // A manifest made to name the other key still fails: its signature is not that key's.
        let manifestURL = exported.folder.appendingPathComponent("manifest.json")
        let manifest = try String(contentsOf: manifestURL, encoding: .utf8)
        try manifest.replacingOccurrences(of: exported.key.fingerprint, with: RegistryKey.fingerprint(of: other)).write(to: manifestURL, atomically: true, encoding: .utf8)
        #expect(exported.verify(key: other) == ["signature: does not verify manifest.json with this public key"])
    }

    /// A bundle whose excerpt and index agree (and are even re-signed) but not with what the
    /// ISP shipped is caught only against the archive.
    @Test func anExcerptAlteredInBundleButNotInTheArchiveFailsWithTheArchive() throws {
        let exported = try Exported()
        defer { exported.remove() }
        let excerpt = exported.folder.appendingPathComponent("excerpts/isp-south.log")
        var text = try String(contentsOf: excerpt, encoding: .utf8)
        text = text.replacingOccurrences(of: "Unknown user", with: "Unknown usr", options: [], range: text.range(of: "Unknown user"))
        try text.write(to: excerpt, atomically: true, encoding: .utf8)
        // Re-hash into the manifest and re-sign with the registry key.
        let manifestURL = exported.folder.appendingPathComponent("manifest.json")
        var manifest = try String(contentsOf: manifestURL, encoding: .utf8)
        let original = try EvidenceExporter(store: exported.world.store, dataFolder: exported.world.folder, key: exported.key).bundle(caseID: exported.caseID)
        let before = Digest.hex(SHA256.hash(data: original.files["excerpts/isp-south.log"]!))
        manifest = manifest.replacingOccurrences(of: before, with: Digest.hex(SHA256.hash(data: Data(text.utf8))))
        try manifest.write(to: manifestURL, atomically: true, encoding: .utf8)
        let signature = try exported.key.privateKey.signature(for: Data(SHA256.hash(data: Data(manifest.utf8))))
        try (signature.base64EncodedString() + "\n").write(to: exported.folder.appendingPathComponent("signature"), atomically: true, encoding: .utf8)
        #expect(exported.verify() == [], "hashes and signature agree with the altered files")
        let problems = exported.verify(archive: true)
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("excerpts/isp-south.log:") == true && problems.first?.contains("differs from line") == true, "\(problems)")
    }

    /// Re-exporting replaces the bundle whole (a stale file of an earlier export goes), a
    /// folder of bundles gets one named after the case, and a folder that is no bundle is
    /// never overwritten.
    @Test func writingReplacesABundleWholeAndNamesNewOnesAfterTheCase() throws {
        let exported = try Exported()
        defer { exported.remove() }
        let stale = exported.folder.appendingPathComponent("excerpts/stale.log")
        try Data("old".utf8).write(to: stale)
        try exported.export(to: EvidenceBundle.destination(for: exported.folder, caseID: exported.caseID))
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        #expect(exported.verify() == [])
        let shelf = exported.world.folder.appendingPathComponent("bundles")
        try FileManager.default.createDirectory(at: shelf, withIntermediateDirectories: true)
        let destination = EvidenceBundle.destination(for: shelf, caseID: exported.caseID)
        #expect(destination.lastPathComponent == exported.caseID)
        try exported.export(to: destination)
        #expect(exported.verify(destination) == [])
        let notes = exported.world.folder.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: notes.appendingPathComponent(exported.caseID), withIntermediateDirectories: true)
        #expect(throws: EvidenceBundle.BundleError.self) { try exported.export(to: notes.appendingPathComponent(exported.caseID)) }
    }

    @Test func theKeyIsCreatedOncePrivately() throws {
        let exported = try Exported()
        defer { exported.remove() }
        let again = try RegistryKey.loadOrCreate(dataFolder: exported.world.folder)
        #expect(again.publicKeyBase64 == exported.key.publicKeyBase64)
        func mode(_ path: String) throws -> Int? {
            (try FileManager.default.attributesOfItem(atPath: exported.world.folder.appendingPathComponent(path).path)[.posixPermissions] as? Int).map { $0 & 0o777 }
        }
        #expect(try mode("keys") == 0o700, "the keys folder is the owner's alone")
        #expect(try mode("keys/registry.ed25519") == 0o600)
        #expect(try mode("keys/registry.hmac") == 0o600, "the pseudonym secret too")
    }

    /// Reading never creates keys: a data folder without them has none after `load`.
    @Test func loadingCreatesNoKey() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-nokeys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try RegistryKey.load(dataFolder: folder) == nil)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("keys").path))
    }
}

enum EvidenceBundleTestsSupport {
    static func files(_ folder: URL) -> [String] {
        let base = folder.standardizedFileURL.path
        return (FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? [])
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
            .map { String($0.standardizedFileURL.path.dropFirst(base.count + 1)) }.sorted()
    }
}

/// The zip form, the X-ARF reports and the recipient pseudonyms.
@Suite(.serialized)
struct EvidenceReportTests {
    typealias Exported = EvidenceBundleTests.Exported

    @Test func zipExportIsDeterministicStoredAndVerifies() throws {
        let exported = try Exported()
        defer { exported.remove() }
        let first = exported.world.folder.appendingPathComponent("first.zip")
        let second = exported.world.folder.appendingPathComponent("second.zip")
        try exported.export(to: first)
        try exported.export(to: second)
        let bytes = try Data(contentsOf: first)
        #expect(bytes == (try Data(contentsOf: second)), "two zip exports are byte-identical")
        #expect(exported.verify(first) == [])
        #expect(exported.verify(first, archive: true) == [])
        let zipped = try EvidenceBundle.readFiles(at: first)
        let names = EvidenceBundleTestsSupport.files(exported.folder)
        #expect(zipped.keys.sorted() == names)
        for name in names { #expect(zipped[name] == (try Data(contentsOf: exported.folder.appendingPathComponent(name))), "\(name) differs from the folder's") }
        let script = """
            import sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None
            assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist()), 'every entry stored'
            print(sorted({i.date_time for i in z.infolist()}))
            """
        let (status, output) = try PythonCheck.run(script: script, arguments: [first.path])
        #expect(status == 0, "\(output)")
        let opened = try #require(try exported.world.store.enforcementCase(id: exported.caseID)?.0.opened)
        let stamp = ISOTime.format(millis: opened, fraction: false)
        let parts = stamp.split(whereSeparator: { "-T:Z".contains($0) }).map { String(Int($0)!) }
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "[(\(parts[0]), \(parts[1]), \(parts[2]), \(parts[3]), \(parts[4]), \(Int(parts[5])! / 2 * 2))]", "one fixed date, the case's: \(output)")
        // A flipped byte inside an entry is named.
        let timeline = try #require(zipped["timeline.csv"])
        let at = try #require(bytes.range(of: timeline)).lowerBound + timeline.count / 2
        var damaged = bytes
        damaged[at] ^= 0x01
        let broken = exported.world.folder.appendingPathComponent("broken.zip")
        try damaged.write(to: broken)
        let problems = exported.verify(broken)
        #expect(problems.contains { $0.hasPrefix("timeline.csv") }, "\(problems)")
    }

    @Test func xarfReportsOfEveryCaseKindValidateAgainstTheOfficialSchemas() throws {
        try Requirement.python(modules: ["jsonschema", "referencing"], pipPackage: "jsonschema>=4.18")
        let validator = try Requirement.shared("xarf/validate.py").path
        let world = try EnforcementScenarioTests.World()
        defer { world.remove() }
        _ = try world.evaluate()
        let key = try RegistryKey.loadOrCreate(dataFolder: world.folder)
        let exporter = EvidenceExporter(store: world.store, dataFolder: world.folder, key: key)
        var reports: [String] = []
        var kinds: Set<String> = []
        for item in try world.store.cases() {
            let bundle = try exporter.bundle(caseID: item.id)
            let report = try #require(bundle.files["report.xarf.json"], "\(item.id) has an X-ARF report")
            let json = try #require(try JSONSerialization.jsonObject(with: report) as? [String: Any])
            kinds.insert("\(json["category"]!)/\(json["type"]!)")
            #expect(json["source_identifier"] as? String == item.subject)
            // Every evidence item is a bundle file, with its SHA-256.
            for evidence in try #require(json["evidence"] as? [[String: Any]]) {
                let text = try #require(evidence["payload"] as? String)
                let payload = try #require(Data(base64Encoded: text))
                #expect(evidence["hash"] as? String == "sha256:" + Digest.hex(SHA256.hash(data: payload)))
                #expect(bundle.files.values.contains(payload), "an evidence item of \(item.id) is not a bundle file")
            }
            let url = world.folder.appendingPathComponent("\(item.id).xarf.json")
            try report.write(to: url)
            reports.append(url.path)
        }
        #expect(kinds == ["messaging/spam", "connection/login_attack"], "\(kinds)")
        let (status, output) = try PythonCheck.run(path: validator, arguments: reports)
        #expect(status == 0, "\(output)")
        #expect(output.contains("\(reports.count) valid, 0 invalid"), "\(output)")
        // The validator does reject a report without what SMTP spam needs.
        let spam = try #require(reports.first { (try? String(contentsOfFile: $0, encoding: .utf8))?.contains("\"smtp_from\"") == true })
        var broken = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: spam))) as? [String: Any])
        broken["smtp_from"] = nil
        let brokenURL = world.folder.appendingPathComponent("broken.xarf.json")
        try JSONSerialization.data(withJSONObject: broken).write(to: brokenURL)
        #expect(try PythonCheck.run(path: validator, arguments: [brokenURL.path]).status == 1)
    }

    @Test func recipientsArePseudonymisedConsistentlyAndOnlyByAnAuditedChoice() throws {
        let exported = try Exported()
        defer { exported.remove() }
        let exporter = EvidenceExporter(store: exported.world.store, dataFolder: exported.world.folder, key: exported.key)
        let redacted = try exporter.bundle(caseID: exported.caseID)
        let plain = try exporter.bundle(caseID: exported.caseID, redacted: false)
        let address = try NSRegularExpression(pattern: "user[0-9]+@isp-[a-z]+\\.example")
        let pseudonym = try NSRegularExpression(pattern: "r-[0-9a-f]{16}@isp-[a-z]+\\.example")
        func matches(_ regex: NSRegularExpression, _ text: String) -> [String] {
            regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) }
        }
        var mapping: [String: String] = [:]
        var seen = 0
        for name in plain.files.keys where name.hasPrefix("excerpts/") && name.hasSuffix(".log") {
            let originalLines = String(decoding: plain.files[name]!, as: UTF8.self).split(separator: "\n").map(String.init)
            let shownLines = String(decoding: try #require(redacted.files[name]), as: UTF8.self).split(separator: "\n").map(String.init)
            #expect(originalLines.count == shownLines.count)
            for (original, shown) in zip(originalLines, shownLines) {
                let addresses = matches(address, original)
                let pseudonyms = matches(pseudonym, shown)
                #expect(matches(address, shown).isEmpty, "a recipient is disclosed: \(shown)")
                #expect(addresses.count == pseudonyms.count, "\(original) → \(shown)")
                for (a, p) in zip(addresses, pseudonyms) {
                    #expect(mapping[a, default: p] == p, "one mailbox, one pseudonym")
                    mapping[a] = p
                    seen += 1
                }
                #expect(original.replacingOccurrences(of: "user[0-9]+@", with: "@", options: .regularExpression)
                    == shown.replacingOccurrences(of: "r-[0-9a-f]{16}@", with: "@", options: .regularExpression), "only local parts change")
            }
        }
        #expect(seen > 20)
        #expect(Set(mapping.values).count == mapping.count, "different mailboxes, different pseudonyms")
        // Nothing else in the bundle discloses them either (the ARF excerpts are base64).
        for (name, data) in redacted.files {
            let text = String(decoding: data, as: UTF8.self)
            var decoded = text
            if name == "report.eml" {
                let body = text.components(separatedBy: "\r\n\r\n").last ?? ""
                decoded = String(decoding: Data(base64Encoded: body.components(separatedBy: "--=_").first!.replacingOccurrences(of: "\r\n", with: "")) ?? Data(), as: UTF8.self)
                #expect(!decoded.isEmpty)
            }
            #expect(matches(address, decoded).isEmpty, "\(name) discloses a recipient")
        }
        #expect(String(decoding: redacted.manifest, as: UTF8.self).contains("\"redacted\":true"))
        #expect(String(decoding: plain.manifest, as: UTF8.self).contains("\"redacted\":false"))
        let plainFolder = exported.world.folder.appendingPathComponent("plain")
        try plain.write(to: plainFolder)
        #expect(exported.verify(plainFolder, archive: true) == [])
    }

    /// A pseudonym may stand only for a local part: an index that claims more is refused
    /// against the archive, even when hashes and signature were redone.
    @Test func aRedactionBeyondALocalPartFailsWithTheArchive() throws {
        let exported = try Exported()
        defer { exported.remove() }
        let indexURL = exported.folder.appendingPathComponent("excerpts/index.jsonl")
        let index = try String(contentsOf: indexURL, encoding: .utf8)
        let first = try #require(index.range(of: "\"length\":"))
        let digits = index[first.upperBound...].prefix { $0.isNumber }
        let altered = index.replacingCharacters(in: first.upperBound..<index.index(first.upperBound, offsetBy: digits.count), with: String(Int(digits)! + 3))
        try altered.write(to: indexURL, atomically: true, encoding: .utf8)
        let manifestURL = exported.folder.appendingPathComponent("manifest.json")
        let manifest = try String(contentsOf: manifestURL, encoding: .utf8)
            .replacingOccurrences(of: Digest.hex(SHA256.hash(data: Data(index.utf8))), with: Digest.hex(SHA256.hash(data: Data(altered.utf8))))
        try manifest.write(to: manifestURL, atomically: true, encoding: .utf8)
        let signature = try exported.key.privateKey.signature(for: Data(SHA256.hash(data: Data(manifest.utf8))))
        try (signature.base64EncodedString() + "\n").write(to: exported.folder.appendingPathComponent("signature"), atomically: true, encoding: .utf8)
        #expect(exported.verify() == [])
        let problems = exported.verify(archive: true)
        #expect(problems.count == 1 && problems[0].contains("redactions are not recipient local parts"), "\(problems)")
    }

    @Test func timelineChartHasABarForEveryCSVRow() throws {
        try Requirement.python()
        let exported = try Exported()
        defer { exported.remove() }
        let script = """
            import csv, sys, xml.etree.ElementTree as ET
            svg = ET.parse(sys.argv[1]).getroot()
            ns = '{http://www.w3.org/2000/svg}'
            assert svg.tag == ns + 'svg' and not svg.findall('.//' + ns + 'script')
            bars = sorted(r.find(ns + 'title').text for r in svg.iter(ns + 'rect') if r.find(ns + 'title') is not None)
            rows = sorted(f"{r['hour']} {r['reporter']} {r['kind']}: {r['count']}" for r in csv.DictReader(open(sys.argv[2])))
            assert bars == rows, (len(bars), len(rows))
            print(len(rows))
            """
        let (status, output) = try PythonCheck.run(
            script: script, arguments: [exported.folder.appendingPathComponent("timeline.svg").path, exported.folder.appendingPathComponent("timeline.csv").path])
        #expect(status == 0, "\(output)")
        #expect((Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 24, "\(output)")
    }
}
