import Crypto
import EnforcementEngine
import Foundation
import LogParsers
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
        let problems = exported.verify(key: Curve25519.Signing.PrivateKey().publicKey)
        #expect(problems == ["signature: does not verify manifest.json with this public key"])
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

    @Test func theKeyIsCreatedOncePrivately() throws {
        let exported = try Exported()
        defer { exported.remove() }
        let again = try RegistryKey.loadOrCreate(dataFolder: exported.world.folder)
        #expect(again.publicKeyBase64 == exported.key.publicKeyBase64)
        let attributes = try FileManager.default.attributesOfItem(atPath: exported.world.folder.appendingPathComponent("keys/registry.ed25519").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
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
