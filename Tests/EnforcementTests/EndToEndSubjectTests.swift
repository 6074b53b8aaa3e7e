import Demo
import EnforcementEngine
import Evidence
import Foundation
import LogParsers
import Primitives
import RegistryClient
import TestSupport
import Testing

/// Subjects beyond the demo's registered IPv4 servers, end to end: an IPv6 server through
/// ingest, a suspension, its bundle and the DNS answer for its nibble name; an unregistered
/// source's bundle; a registrant's case over several networks.
@Suite(.serialized)
struct EndToEndSubjectTests {
    static let reporters = [("isp-a", "A"), ("isp-b", "B"), ("isp-c", "C")]

    @Test func anIPv6ServerIsSuspendedWithVerifiedEvidenceAndAnsweredByItsNibbleName() async throws {
        let world = try SmallWorld(
            registry: "network,registrant,status,abuse_contact,since\n2001:db8:10::/48,R-000124,active,noc@example.com,2026-02-01T00:00:00Z\n",
            reporters: Self.reporters)
        defer { world.remove() }
        let attacker = "2001:db8:10::25"
        for (n, reporter) in Self.reporters.enumerated() {
            let night = SmallWorld.postfixNight([(attacker, 40, 100 + n), ("2001:db8:99::1", 5, 0)], host: "mx.\(reporter.0).example")
            #expect(try world.ingest(night, reporter: reporter.0, name: "2026-11-28.log.gz").status == .ingested)
        }
        let changes = try world.evaluate(RuleSet.shipped())
        let suspension = try #require(changes.first { $0.subject == attacker })
        #expect(suspension.rule == "registered-dictionary-attack" && suspension.status == .suspended, "\(changes)")
        #expect(try world.store.registry.state(of: IPAddress(attacker)!, at: SmallWorld.asOf + 1).status == .suspended)
        // The bundle: excerpts of IPv6 lines, verified against the archive.
        let (bundle, key) = try world.export(suspension.caseID)
        let folder = world.folder.appendingPathComponent("bundle")
        try bundle.write(to: folder)
        #expect(EvidenceVerifier(publicKey: key.privateKey.publicKey, archiveFolder: world.folder).verify(folder) == [])
        let excerpt = String(decoding: try #require(bundle.files["excerpts/isp-a.log"]), as: UTF8.self)
        #expect(excerpt.contains("unknown[\(attacker)]"))
        #expect(String(decoding: try #require(bundle.files["report.eml"]), as: UTF8.self).contains("Source-IP: \(attacker)"))
        // DNS: 32 reversed nibbles under the zone answer the suspension.
        let responder = DNSResponder(
            zone: RegistryZone(zone: DNSName("reg.example.org")!), registry: try LiveRegistry(store: world.store.registry), clock: { SmallWorld.asOf + 60_000 })
        let served = try await ServedZone.start(RegistryDNSServer(responder: responder, configuration: .init(host: "127.0.0.1", port: 0, threads: 1)))
        defer { Task { await served.stop() } }
        let port = served.port
        let nibbles = "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.reg.example.org"
        let dig = try Requirement.program("dig", debianPackage: "bind9-dnsutils")
        #expect(try Requirement.output(of: dig, ["@127.0.0.1", "-p", String(port), "+short", nibbles, "A"]) == "127.0.0.3\n")
        #expect(try Requirement.output(of: dig, ["@127.0.0.1", "-p", String(port), "+short", nibbles, "TXT"]) == "\"v=reg1; status=suspended; registrant=R-000124; case=\(suspension.caseID)\"\n")
    }

    /// An unregistered source's case has no ARF report (there is no abuse contact), a null
    /// registration, and a valid X-ARF report.
    @Test func theBundleOfAnUnregisteredSourceHasNoARFReportAndAValidXARF() throws {
        let world = try EnforcementScenarioTests.World()
        defer { world.remove() }
        let changes = try world.evaluate()
        let caseID = try #require(changes.first { $0.subject == DemoScenario.unregisteredSpammer }?.caseID)
        let key = try RegistryKey.loadOrCreate(dataFolder: world.folder)
        let bundle = try EvidenceExporter(store: world.store, dataFolder: world.folder, key: key).bundle(caseID: caseID)
        #expect(bundle.files["report.eml"] == nil, "no abuse contact, no ARF report")
        let manifest = try #require(try JSONSerialization.jsonObject(with: bundle.manifest) as? [String: Any])
        #expect(manifest["registration"] is NSNull)
        #expect((manifest["files"] as? [String: String])?["report.eml"] == nil)
        try Requirement.python(modules: ["jsonschema", "referencing"], pipPackage: "jsonschema>=4.18")
        let validator = try Requirement.shared("xarf/validate.py").path
        let report = world.folder.appendingPathComponent("unregistered.xarf.json")
        try #require(bundle.files["report.xarf.json"]).write(to: report)
        let (status, output) = try PythonCheck.run(path: validator, arguments: [report.path])
        #expect(status == 0, "\(output)")
        let folder = world.folder.appendingPathComponent("bundle")
        try bundle.write(to: folder)
        #expect(EvidenceVerifier(publicKey: key.privateKey.publicKey, archiveFolder: world.folder).verify(folder) == [])
    }

    /// A registrant's case: the figures add up its addresses, and the bundle holds the
    /// excerpts of all of them.
    @Test func aRegistrantCaseExportsTheExcerptsOfAllItsAddresses() throws {
        let world = try SmallWorld(
            registry: """
                network,registrant,status,abuse_contact,since
                198.51.100.0/28,R-000300,active,abuse@hoster.example,2026-01-01T00:00:00Z
                203.0.113.0/24,R-000300,active,abuse@hoster.example,2026-01-01T00:00:00Z
                192.0.2.0/24,R-000301,active,abuse@other.example,2026-01-01T00:00:00Z

                """, reporters: Array(Self.reporters.prefix(2)))
        defer { world.remove() }
        _ = try world.ingest(SmallWorld.postfixNight([("198.51.100.5", 10, 70), ("192.0.2.9", 10, 30)], host: "mx.isp-a.example"), reporter: "isp-a", name: "n.log.gz")
        _ = try world.ingest(SmallWorld.postfixNight([("203.0.113.77", 10, 60)], host: "mx.isp-b.example"), reporter: "isp-b", name: "n.log.gz")
        let rule = """
            id: registrant-washing
            description: A registrant's servers together send to many unknown recipients
            applies_to: [active]
            subject: registrant
            window: 24h
            when:
              - count: rejected.unknown_recipient
                at_least: 100
              - distinct_reporters: { at_least: 2 }
            action: open_case
            severity: medium

            """
        let rules = try RuleSet.decode([(path: "registrant.yaml", bytes: Data(rule.utf8))], folder: "test")
        let changes = try world.evaluate(rules)
        #expect(changes.map(\.subject) == ["R-000300"], "130 refusals from R-000300's two networks; R-000301's 30 are not enough")
        let item = try #require(try world.store.enforcementCase(id: changes[0].caseID)?.0)
        #expect(item.figures.addresses == ["198.51.100.5", "203.0.113.77"])
        #expect(item.figures.conditions.first?.value == 130)
        let (bundle, key) = try world.export(item.id)
        let a = String(decoding: try #require(bundle.files["excerpts/isp-a.log"]), as: UTF8.self)
        let b = String(decoding: try #require(bundle.files["excerpts/isp-b.log"]), as: UTF8.self)
        #expect(a.contains("[198.51.100.5]") && b.contains("[203.0.113.77]"), "excerpts of both addresses")
        #expect(!a.contains("192.0.2.9"), "never another registrant's lines")
        let timeline = String(decoding: try #require(bundle.files["timeline.csv"]), as: UTF8.self)
        #expect(timeline.contains(",isp-a,rejected,") && timeline.contains(",isp-b,rejected,"))
        let folder = world.folder.appendingPathComponent("bundle")
        try bundle.write(to: folder)
        #expect(EvidenceVerifier(publicKey: key.privateKey.publicKey, archiveFolder: world.folder).verify(folder) == [])
    }
}
