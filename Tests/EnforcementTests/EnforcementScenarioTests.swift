import Demo
import EnforcementEngine
import Foundation
import GRDB
import LogParsers
import Primitives
import RegistryClient
import TestSupport
import Testing

/// Four ISPs from four organisations, three nights: the dictionary attacker is suspended
/// (and the registry says so), the server one reporter alone accuses is not, the
/// unregistered source gets a report case, a second evaluation changes nothing, a
/// dismissal restores the registration, and every step is in the audit log.
@Suite(.serialized)
struct EnforcementScenarioTests {
    struct World {
        let folder: URL
        let store: EngineStore
        let enforcement: Enforcement
        let rules: RuleSet
        private let postgres: TestPostgres?

        /// The demo's registry and three nights of shipments, ingested (nothing evaluated),
        /// in a SQLite file or a PostgreSQL database of the world's own.
        init(_ backend: Backend = .sqlite) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-scenario-\(UUID().uuidString)")
            postgres = backend == .postgres ? try TestPostgres() : nil
            let prepared = try DemoRun(folder: folder, database: postgres?.url).prepare()
            enforcement = prepared.enforcement
            store = enforcement.store
            for shipped in prepared.shipped {
                #expect(shipped.outcomes.allSatisfy { $0.status == .ingested }, "\(shipped.reporter.id): \(shipped.outcomes.map(\.error))")
            }
            let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("rules")
            rules = try RuleSet.load(folder: shipped.path)
        }

        func evaluate(dryRun: Bool = false, asOf: Int64 = DemoScenario.evaluationTime) throws -> [CaseChange] {
            try enforcement.evaluate(rules: rules, asOf: asOf, dryRun: dryRun).changes
        }

        func status(_ ip: String) throws -> RegistrationState {
            try store.registry.state(of: IPAddress(ip)!, at: DemoScenario.evaluationTime + 1)
        }

        /// Rows of a table (on either database).
        func count(_ table: String) throws -> Int64 {
            try store.sql.read { try $0.integer("SELECT COUNT(*) FROM \(table)") } ?? 0
        }

        func remove() {
            try? FileManager.default.removeItem(at: folder)
            postgres?.remove()
        }
    }

    @Test(arguments: Backend.allCases) func suspendsTheCorroboratedAttackerAndOnlyHim(_ backend: Backend) throws {
        let world = try World(backend)
        defer { world.remove() }
        let changes = try world.evaluate()
        let bySubject = Dictionary(grouping: changes, by: \.subject)
        let attack = try #require(bySubject[DemoScenario.dictionaryAttacker]?.first)
        #expect(attack.rule == "registered-dictionary-attack")
        #expect(attack.status == .suspended)
        let state = try world.status(DemoScenario.dictionaryAttacker)
        #expect(state.status == .suspended)
        #expect(state.caseID == attack.caseID, "the registry (and so DNS TXT) names the case")
        #expect(bySubject[DemoScenario.falselyAccused] == nil, "one reporter's word opens no case")
        #expect(try world.status(DemoScenario.falselyAccused).status == .active)
        #expect(try world.store.contradictions(reporter: "isp-west") == 1, "the lone accuser is flagged")
        #expect(bySubject[DemoScenario.unregisteredSpammer]?.first?.action == .report)
        #expect(bySubject[DemoScenario.blockListed]?.first?.status == .open)
        #expect(bySubject[DemoScenario.goodServer] == nil)
    }

    @Test(arguments: Backend.allCases) func evaluatingTwiceChangesNothing(_ backend: Backend) throws {
        let world = try World(backend)
        defer { world.remove() }
        let first = try world.evaluate()
        let audit = try world.count("audit")
        let second = try world.evaluate()
        #expect(second.map(\.caseID) == first.map(\.caseID))
        #expect(second.allSatisfy { $0.change == .unchanged })
        #expect(try world.store.cases().count == first.count)
        #expect(try world.count("audit") == audit)
    }

    /// A dry run computes what a run would do and writes nothing: every table, the audit
    /// log and the registration history included, is as before.
    @Test func dryRunWritesNothing() throws {
        let world = try World()
        defer { world.remove() }
        let before = try StoreDump.dump(world.store.database)
        let changes = try world.evaluate(dryRun: true)
        #expect(changes.contains { $0.subject == DemoScenario.dictionaryAttacker && $0.status == .suspended }, "it would suspend")
        #expect(try StoreDump.dump(world.store.database) == before, "no table changed")
        #expect(try world.status(DemoScenario.dictionaryAttacker).status == .active)
        // The same evaluation for real writes cases, audit lines, a suspension and the contradiction.
        _ = try world.evaluate()
        let after = try StoreDump.dump(world.store.database)
        for table in Self.evaluationTables {
            #expect(after.filter { $0.hasPrefix("\(table): ") } != before.filter { $0.hasPrefix("\(table): ") }, "a real run writes \(table)")
        }
    }

    /// On PostgreSQL the dry run's transaction is rolled back too: the same changes are
    /// reported as by a real run, and no row is left of them.
    @Test func dryRunWritesNothingOnPostgres() throws {
        let world = try World(.postgres)
        defer { world.remove() }
        let before = try Self.evaluationTables.map { try world.count($0) }
        let dry = try world.evaluate(dryRun: true)
        #expect(try Self.evaluationTables.map { try world.count($0) } == before, "no row written")
        #expect(try world.status(DemoScenario.dictionaryAttacker).status == .active)
        let real = try world.evaluate()
        #expect(real == dry, "the dry run reported what the real run did")
        #expect(try Self.evaluationTables.map { try world.count($0) }.elementsEqual(before) { $0 > $1 }, "a real run writes every table")
    }

    static let evaluationTables = ["enforcement_case", "audit", "registration", "contradiction"]

    @Test(arguments: Backend.allCases) func dismissalRestoresTheRegistrationAndEverythingIsAudited(_ backend: Backend) throws {
        let world = try World(backend)
        defer { world.remove() }
        let changes = try world.evaluate()
        let caseID = try #require(changes.first { $0.subject == DemoScenario.dictionaryAttacker }?.caseID)
        let later = DemoScenario.evaluationTime + 3_600_000
        try world.store.decide(.dismiss, caseID: caseID, by: "alice", reason: "the sender proved double opt-in", at: later)
        #expect(try world.store.registry.state(of: IPAddress(DemoScenario.dictionaryAttacker)!, at: later + 1).status == .active)
        // A dismissed case cannot be approved afterwards.
        #expect(throws: CaseDecision.Refusal.self) { try world.store.decide(.approve, caseID: caseID, by: "bob", reason: "late", at: later + 1) }
        let (item, audit) = try #require(try world.store.enforcementCase(id: caseID))
        #expect(item.status == .dismissed)
        #expect(audit.map(\.action) == ["opened", "suspended (provisional)", "dismiss"])
        #expect(audit.map(\.actor) == ["engine", "engine", "alice"])
        // The audit log is append-only in the schema itself.
        let lines = try world.count("audit")
        for statement in ["UPDATE audit SET actor = 'mallory'", "DELETE FROM audit"] + (backend == .postgres ? ["TRUNCATE audit CASCADE"] : []) {
            #expect(throws: (any Error).self, "\(statement)") { try world.store.sql.write { try $0.execute(statement, []) } }
        }
        #expect(try world.count("audit") == lines)
        // The registration history shows every step.
        let history = try world.store.registry.history(of: IPAddress(DemoScenario.dictionaryAttacker)!)
        #expect(history.map(\.cause).suffix(2) == ["suspension", "dismissal"])
    }

    @Test(arguments: Backend.allCases) func approvalMakesTheSuspensionFinalAndAReoffenderGetsAHigherSeverity(_ backend: Backend) throws {
        let world = try World(backend)
        defer { world.remove() }
        let changes = try world.evaluate()
        let caseID = try #require(changes.first { $0.subject == DemoScenario.dictionaryAttacker }?.caseID)
        try world.store.decide(.approve, caseID: caseID, by: "alice", reason: "confirmed", at: DemoScenario.evaluationTime + 1000)
        let last = try #require(try world.store.registry.history(of: IPAddress(DemoScenario.dictionaryAttacker)!).last)
        #expect(last.status == "suspended" && !last.provisional && last.cause == "approval")
        try world.store.decide(.reinstate, caseID: caseID, by: "alice", reason: "cleaned up", at: DemoScenario.evaluationTime + 2000)
        #expect(try world.store.registry.state(of: IPAddress(DemoScenario.dictionaryAttacker)!, at: DemoScenario.evaluationTime + 3000).status == .active)
        // The evidence staff reviewed opens no new case.
        #expect(try world.evaluate().allSatisfy { $0.subject != DemoScenario.dictionaryAttacker || $0.change != .opened })
        // The same behaviour the next night, after the decision: a new case, one severity up.
        let night = "2026-11-29"
        let reporters = DemoScenario.reporters
        let ingestor = Ingestor(store: world.store, index: try world.store.registry.loadIndex(), options: .init(dataFolder: world.folder))
        for reporter in reporters {
            let path = world.folder.appendingPathComponent("\(reporter.id)-\(night).log").path
            try DemoScenario().log(for: reporter, night: night).write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: Double(DemoScenario.evaluationTime / 1000 + 86_400))], ofItemAtPath: path)
            _ = try ingestor.ingest(files: [path], reporter: try world.store.reporter(id: reporter.id)!, now: DemoScenario.evaluationTime + 86_400_000)
        }
        let again = try world.evaluate(asOf: DemoScenario.evaluationTime + 86_400_000 + 3000)
        let next = try #require(again.first { $0.subject == DemoScenario.dictionaryAttacker && $0.change == .opened })
        #expect(next.caseID != caseID)
        #expect(next.severity == .critical, "high, raised once for the earlier suspension")
        #expect(next.status == .suspended)
    }
}

extension EnforcementScenarioTests {
    @Test func casesShowSampleLinesReadBackFromTheArchive() throws {
        let world = try World()
        defer { world.remove() }
        _ = try world.evaluate()
        let window = SampleWindow(from: DemoScenario.evaluationTime - 86_400_000, to: DemoScenario.evaluationTime)
        let samples = try world.store.samples(of: [IPAddress(DemoScenario.dictionaryAttacker)!], window: window, perReporter: 5, dataFolder: world.folder)
        #expect(Set(samples.map(\.reporter)) == ["isp-east", "isp-north", "isp-south"])
        #expect(samples.count == 15)
        for sample in samples {
            let text = try #require(sample.text, "\(sample.file):\(sample.line) is in the archive")
            #expect(text.contains(DemoScenario.dictionaryAttacker))
            // Byte for byte the shipped line at that number and offset.
            let shipped = try Self.gunzip(world.folder.appendingPathComponent("logs/\(sample.reporter)/\(sample.file)"))
            let lines = shipped.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(String(lines[sample.line - 1]) == text)
            #expect(shipped.utf8.prefix(Int(sample.offset)).count == Int(sample.offset))
            #expect(String(decoding: Array(shipped.utf8)[Int(sample.offset)...].prefix(text.utf8.count), as: UTF8.self) == text)
        }
    }

    /// A shipped file's text, inflated by gzip itself.
    static func gunzip(_ file: URL) throws -> String {
        try Requirement.output(of: try Requirement.program("gzip", debianPackage: "gzip"), ["-dc", file.path])
    }

    /// The time a sample line says (the demo's logs are UTC).
    static func time(of text: String) -> Int64? {
        var time: Int64?
        _ = LogFileParser(options: ParseOptions(referenceMillis: DemoScenario.evaluationTime)).parse(bytes: Array(text.utf8) + [0x0A], name: "sample") { event in
            if event.hasTime, time == nil { time = event.time }
        }
        return time
    }

    /// A case's samples come from its window only: all three nights hold the attacker's
    /// lines, the 24 h window ending at midnight shows the last night's, and a window
    /// beginning at 06:00 (part of a day) only lines from 06:00 on.
    @Test func samplesComeFromTheWindowOnly() throws {
        let world = try World()
        defer { world.remove() }
        let attacker = [IPAddress(DemoScenario.dictionaryAttacker)!]
        let everything = try world.store.samples(of: attacker, window: nil, perReporter: 50, dataFolder: world.folder)
        #expect(Set(everything.map { $0.file.contains("2026-11-26") }) == [true, false], "without a window, samples from every night")
        let lastNight = SampleWindow(from: DemoScenario.evaluationTime - 86_400_000, to: DemoScenario.evaluationTime)
        let inNight = try world.store.samples(of: attacker, window: lastNight, perReporter: 50, dataFolder: world.folder)
        #expect(!inNight.isEmpty)
        #expect(inNight.allSatisfy { $0.file.contains("2026-11-28") }, "\(inNight.map(\.file))")
        let morning = SampleWindow(from: DemoScenario.evaluationTime - 18 * 3_600_000, to: DemoScenario.evaluationTime)
        let fromSix = try world.store.samples(of: attacker, window: morning, perReporter: 50, dataFolder: world.folder)
        #expect(!fromSix.isEmpty && fromSix.count < inNight.count)
        for sample in fromSix {
            let text = try #require(sample.text)
            let time = try #require(Self.time(of: text))
            #expect(time >= morning.from && time < morning.to, "\(sample.text ?? "")")
        }
    }
}
