import Foundation
import RegistryClient
import TestSupport
import Testing

/// DNSSEC at the primary (RFC 4034, 4035; compact denial, RFC 9824), checked by the
/// validators and tools of BIND 9: `delv` with the key as trust anchor, `dnssec-dsfromkey`.
@Suite(.serialized)
struct DNSSECTests {
    static let zone = DNSName("reg.example.org")!

    /// `delv` asking `port`, trusting `key`; its output and errors (it reports a failed
    /// validation on standard error).
    static func delv(_ port: Int, key: DNSSECKey, _ arguments: [String]) throws -> String {
        let delv = try Requirement.program("delv", debianPackage: "bind9-dnsutils")
        let anchor = FileManager.default.temporaryDirectory.appendingPathComponent("anchor-\(UUID().uuidString).conf")
        defer { try? FileManager.default.removeItem(at: anchor) }
        let text = "trust-anchors { \(key.zone) static-key 257 3 \(key.algorithm.rawValue) \"\(Data(key.publicKey).base64EncodedString())\"; };\n"
        try Data(text.utf8).write(to: anchor)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: delv)
        process.arguments = ["@127.0.0.1", "-p", String(port), "-a", anchor.path, "+root=\(key.zone)"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }

    /// With the key as trust anchor, `delv` validates an active, a suspended, and an
    /// unregistered answer (compact denial: NODATA with an NSEC whose bitmap says NXNAME),
    /// a missing type at a registered address, the apex SOA and DNSKEY; queries without DO
    /// get no signatures, and the RRSIGs count the query name's labels.
    @Test(arguments: DNSSECKey.Algorithm.allCases)
    func delvValidatesActiveSuspendedAndUnregisteredAnswers(_ algorithm: DNSSECKey.Algorithm) async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(RegistryDNSServerTests.csv)
        let key = DNSSECKey(zone: Self.zone, algorithm: algorithm)
        let server = try await RunningServer(registry: registry, signer: ZoneSigner(key: key))
        defer { server.stopLater() }

        let active = try Self.delv(server.port, key: key, ["5.100.51.198.reg.example.org", "A"])
        #expect(active.contains("; fully validated") && active.contains("127.0.0.2"), "\(active)")
        #expect(active.contains("RRSIG\tA \(algorithm.rawValue) 7 300 "), "7 labels, TTL 300: \(active)")
        let suspended = try Self.delv(server.port, key: key, ["25.2.0.192.reg.example.org", "TXT"])
        #expect(suspended.contains("; fully validated") && suspended.contains("status=suspended"), "\(suspended)")
        let unregistered = try Self.delv(server.port, key: key, ["8.8.8.8.reg.example.org", "A"])
        #expect(unregistered.contains("; negative response, fully validated"), "\(unregistered)")
        #expect(unregistered.contains("NSEC \\000.8.8.8.8.reg.example.org. RRSIG NSEC TYPE128"), "\(unregistered)")
        let v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.reg.example.org"
        #expect(try Self.delv(server.port, key: key, [v6, "A"]).contains("; fully validated"))
        let nodata = try Self.delv(server.port, key: key, ["5.100.51.198.reg.example.org", "AAAA"])
        #expect(nodata.contains("; negative response, fully validated") && nodata.contains("NSEC \\000.5.100.51.198.reg.example.org. A TXT RRSIG NSEC"), "\(nodata)")
        for type in ["SOA", "DNSKEY", "NS"] {
            let apex = try Self.delv(server.port, key: key, ["reg.example.org", type])
            #expect(apex.contains("; fully validated"), "\(type): \(apex)")
        }
        let apexNodata = try Self.delv(server.port, key: key, ["reg.example.org", "MX"])
        #expect(apexNodata.contains("; negative response, fully validated") && apexNodata.contains("NS SOA RRSIG NSEC DNSKEY"), "\(apexNodata)")

        // Without DO, answers are as before: no RRSIG, NXDOMAIN for an unregistered address.
        let plain = try server.dig("+nodnssec", "5.100.51.198.reg.example.org", "A")
        #expect(plain.contains("127.0.0.2") && !plain.contains("RRSIG"))
        #expect(try server.dig("+dnssec", "8.8.8.8.reg.example.org", "A").contains("status: NOERROR"), "compact denial: NOERROR without CO")
        #expect(try server.dig("+nodnssec", "8.8.8.8.reg.example.org", "A").contains("status: NXDOMAIN"))
        let dnskey = try server.dig("+dnssec", "+short", "reg.example.org", "DNSKEY").replacingOccurrences(of: " ", with: "")
        #expect(dnskey.contains("2573\(algorithm.rawValue)\(Data(key.publicKey).base64EncodedString())"), "\(dnskey)")
    }

    /// A forger on the path who turns a suspended answer (127.0.0.3) into an active one
    /// (127.0.0.2) keeps the genuine signature, which then fails: `delv` refuses the answer.
    @Test func aTamperedAnswerFailsValidation() async throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(RegistryDNSServerTests.csv)
        let key = DNSSECKey(zone: Self.zone)
        var zone = RegistryZone(zone: Self.zone)
        zone.signer = ZoneSigner(key: key)
        let responder = DNSResponder(zone: zone, registry: try LiveRegistry(store: registry.store), clock: { Int64(Date().timeIntervalSince1970 * 1000) })
        let honest = TamperingServer(responder: responder, replacing: [0xFF, 0xFF, 0xFF, 0xFF], with: [0xFF, 0xFF, 0xFF, 0xFF])
        defer { honest.stop() }
        let genuine = try Self.delv(honest.port, key: key, ["25.2.0.192.reg.example.org", "A"])
        #expect(genuine.contains("; fully validated") && genuine.contains("127.0.0.3"), "\(genuine)")
        let forger = TamperingServer(responder: responder, replacing: [0x7F, 0, 0, 3], with: [0x7F, 0, 0, 2])
        defer { forger.stop() }
        let forged = try Self.delv(forger.port, key: key, ["25.2.0.192.reg.example.org", "A"])
        #expect(!forged.contains("fully validated") && !forged.contains("127.0.0.2"), "\(forged)")
        #expect(forged.contains("resolution failed") || forged.contains("validation failure"), "\(forged)")
    }

    /// RFC 9824 §3: a query with the CO flag takes NXDOMAIN with the compact proof.
    @Test func answersNXDOMAINWithTheProofWhenTheQuerySetsCO() throws {
        var zone = RegistryZone(zone: Self.zone)
        zone.signer = ZoneSigner(key: DNSSECKey(zone: Self.zone))
        var query = DNSMessage(id: 9)
        query.questions = [DNSMessage.Question(name: DNSName("8.8.8.8.reg.example.org")!, type: DNSType.a)]
        query.edns = DNSMessage.EDNS(dnssecOK: true)
        let noCO = try #require(zone.respond(to: query, serial: 1) { _ in .unregistered })
        #expect(noCO.rcode == DNSResponseCode.noError && noCO.authority.map(\.type) == [DNSType.soa, DNSType.rrsig, DNSType.nsec, DNSType.rrsig])
        query.edns?.compactOK = true
        let withCO = try #require(zone.respond(to: query, serial: 1) { _ in .unregistered })
        #expect(withCO.rcode == DNSResponseCode.nameError && withCO.authority.map(\.type) == noCO.authority.map(\.type))
    }

    /// The key file round-trips, and its DS is the one BIND's `dnssec-dsfromkey` computes
    /// from the DNSKEY; the key tag too.
    @Test(arguments: DNSSECKey.Algorithm.allCases)
    func keyFileRoundTripsAndItsDSIsTheOneBINDComputes(_ algorithm: DNSSECKey.Algorithm) throws {
        let tool = try Requirement.program("dnssec-dsfromkey", debianPackage: "bind9-utils")
        let key = DNSSECKey(zone: Self.zone, algorithm: algorithm)
        let read = try DNSSECKey.parse(key.fileText)
        #expect(read.publicKey == key.publicKey && read.keyTag == key.keyTag && read.zone == key.zone && read.algorithm == algorithm)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dnskey-\(UUID().uuidString).zone")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data((key.dnskeyText(ttl: 3600) + "\n").utf8).write(to: file)
        let bind = try run([tool, "-2", "-f", file.path, "reg.example.org"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(bind == key.dsText, "BIND: \(bind)\nours: \(key.dsText)")
        // Signatures made with the read key verify under the same DNSKEY.
        #expect(read.sign([1, 2, 3]).count == 64)
    }

    /// A key made without a zone (`keygen --out FILE`) takes the zone it is served for; a
    /// key that names its zone takes no other.
    @Test func aKeyWithoutZoneIsBoundToTheServedOne() throws {
        let bare = try DNSSECKey.parse(DNSSECKey(zone: nil).fileText)
        #expect(!bare.namesZone)
        let bound = try #require(bare.bound(to: Self.zone))
        #expect(bound.namesZone && bound.zone == Self.zone && bound.keyTag == bare.keyTag)
        let named = DNSSECKey(zone: Self.zone)
        #expect(named.bound(to: Self.zone) != nil)
        #expect(named.bound(to: DNSName("other.example")!) == nil)
    }

    @Test func refusesKeyFilesItCannotUse() {
        func reason(_ text: String) -> String { refusal { _ = try DNSSECKey.parse(text, path: "z.key") } }
        #expect(reason("Zone: reg.example.\nAlgorithm: 8 (RSASHA256)\nPrivateKey: AAAA\n") == "z.key:2: algorithm '8 (RSASHA256)': only 13 (ECDSAP256SHA256) and 15 (ED25519)")
        #expect(reason("Zone: a..b\nAlgorithm: 13\nPrivateKey: AAAA\n") == "z.key:1: 'a..b' is not a zone")
        #expect(reason("Algorithm: 13\nPrivateKey: AAAA\n") == "z.key:2: not a ECDSAP256SHA256 private key (3 bytes)", "no zone is allowed; the key still has to be one")
        #expect(reason("Zone: reg.example.\nPrivateKey: AAAA\n") == "z.key: no 'Algorithm:' line")
        #expect(reason("Zone: reg.example.\nAlgorithm: 13\nPrivateKey: AAAA\n") == "z.key:3: not a ECDSAP256SHA256 private key (3 bytes)")
        #expect(reason("Zone: reg.example.\nAlgorithm: 13\nPrivateKey: %%%\n") == "z.key:3: the private key is not base64")
        #expect(reason("garbage\n") == "z.key:1: expected 'Field: value'")
    }
}
