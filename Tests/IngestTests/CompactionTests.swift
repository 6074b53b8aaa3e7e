@testable import EnforcementEngine
import Foundation
import GRDB
import Glibc
import LogParsers
import Primitives
import Synchronization
import TestSupport
import Testing

/// Compaction: a reporter's segments of one week merged into one. Every record, its counts,
/// its samples and its shipment stay as they were; only the number of segments changes.
@Suite(.serialized)
struct CompactionTests {
    /// The syslog day (`Jun  2`) of a date, as the test logs stamp it.
    static func syslogDay(_ millis: Int64) -> String {
        let text = ISOTime.format(millis: millis, fraction: false)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let month = months[Int(text.dropFirst(5).prefix(2))! - 1]
        let day = Int(text.dropFirst(8).prefix(2))!
        return "\(month) \(day < 10 ? " " : "")\(day)"
    }

    /// The first Monday of the test weeks: 2026-06-01.
    static let firstMonday = time("2026-06-01T00:00:00Z")

    /// Writes and ingests `perWeek` shipments a week for `weeks` weeks for each reporter (on
    /// Tuesday and Thursday), all in the weeks before the files' shipping day.
    static func ingestWeeks(_ fixture: IngestFixture, reporters: [String], weeks: Int, perWeek: Int = 2, lines: Int = 300) throws {
        var files: [String: [String]] = [:]
        for week in 0..<weeks {
            for n in 0..<perWeek {
                let day = firstMonday + Int64(week * 7 + 1 + 2 * n) * 86_400_000
                for (r, reporter) in reporters.enumerated() {
                    let seed = UInt64(week * 100 + n * 10 + r + 1)
                    let name = "\(reporter)-w\(week)-\(n).log"
                    files[reporter, default: []].append(try fixture.write(name, TestLog.postfix(lines: lines, seed: seed, day: syslogDay(day), clients: 200)))
                }
            }
        }
        let ingestor = try fixture.ingestor()
        for reporter in reporters {
            let outcomes = try ingestor.ingest(files: files[reporter]!, reporter: fixture.reporter(reporter), now: time("2026-11-29T06:00:00Z"))
            #expect(outcomes.allSatisfy { $0.status == .ingested }, "\(outcomes.compactMap(\.error))")
        }
    }

    /// What readers see of the store: every record (by shipment), the lookups of some
    /// clients (records in order, activity, reservoir), and the evaluation's client rows.
    /// `acrossStores`: shipments named by digest only, and a client's records in digest
    /// order (two stores number the same shipments in the order their commits came).
    static func view(_ fixture: IngestFixture, clients: [IPAddress], acrossStores: Bool = false) throws -> [String] {
        var lines = try fixture.snapshot()
        for ip in clients {
            let records = try fixture.store.records(of: ip)
            let listed = records.map { "\($0.shipmentSHA256.prefix(12))/\($0.record.day)/\($0.record.counts.count)/\($0.record.samples.count)" }
            lines.append("\(ip) records: " + (acrossStores ? listed.sorted() : listed).joined(separator: ","))
            let activity = try fixture.store.activity(of: ip)
            lines.append("\(ip) activity: \(activity.reporters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.sorted { $0.key < $1.key })" })" }) \(activity.firstSeen ?? 0) \(activity.lastSeen ?? 0)")
            for (reporter, samples) in try fixture.store.reservoir(of: ip) {
                var shown = samples
                if acrossStores { for i in shown.indices { shown[i].shipmentID = 0 } }
                lines.append("\(ip) reservoir \(reporter): " + shown.map { "\($0)" }.joined(separator: ","))
            }
        }
        try fixture.store.forEachClient(from: firstMonday, to: time("2026-11-29T00:00:00Z")) { client in
            let rows = client.rows.map { "\($0.reporter)@\($0.hour):\($0.kind).\($0.reason).\($0.status)=\($0.count)" }
            lines.append("client \(client.ip): " + (acrossStores ? rows.sorted() : rows).joined(separator: ","))
        }
        return lines
    }

    static func clients(_ fixture: IngestFixture) throws -> [IPAddress] {
        var seen = Set<IPAddress>()
        try fixture.store.forEachRecord { if let ip = $0.record.ip { seen.insert(ip) } }
        return seen.sorted { $0.description < $1.description }.enumerated().filter { $0.offset % 5 == 0 }.map(\.element)
    }

    /// Two reporters, five weeks, two shipments a week: ten segments a reporter become five;
    /// records, lookups, reservoirs and the evaluation's rows are the same, a second run
    /// changes nothing, a week not yet over (before `--before`) is left alone.
    @Test(arguments: Backend.allCases) func compactionKeepsEveryRecordLookupAndReservoir(_ backend: Backend) throws {
        let fixture = try IngestFixture(backend)
        defer { fixture.remove() }
        try Self.ingestWeeks(fixture, reporters: ["isp-a", "isp-b"], weeks: 5)
        let clients = try Self.clients(fixture)
        #expect(clients.count > 20)
        let before = try Self.view(fixture, clients: clients)
        #expect(try fixture.count("SELECT COUNT(*) FROM segment") == 20)

        let dry = try fixture.store.compact(beforeDay: Self.firstMonday / 86_400_000 + 35, dryRun: true)
        #expect(dry.weeks.count == 10 && dry.segmentsBefore == 20 && dry.segmentsAfter == 10 && dry.dryRun)
        #expect(try fixture.count("SELECT COUNT(*) FROM segment") == 20, "a dry run writes nothing")

        // The last week ends on day 34 after the first Monday: `before` day 34 leaves it.
        let partial = try fixture.store.compact(beforeDay: Self.firstMonday / 86_400_000 + 34)
        #expect(partial.weeks.map(\.week) == ["2026-06-01", "2026-06-01", "2026-06-08", "2026-06-08", "2026-06-15", "2026-06-15", "2026-06-22", "2026-06-22"])
        #expect(partial.weeks.allSatisfy { $0.skipped == nil && $0.segments == 2 && $0.bytesAfter > 0 && $0.records > 0 })
        #expect(partial.segmentsBefore == 20 && partial.segmentsAfter == 12)
        #expect(try Self.view(fixture, clients: clients) == before)

        let rest = try fixture.store.compact(beforeDay: Self.firstMonday / 86_400_000 + 35)
        #expect(rest.weeks.map(\.week) == ["2026-06-29", "2026-06-29"] && rest.segmentsAfter == 10)
        #expect(try Self.view(fixture, clients: clients) == before)
        #expect(try fixture.count("SELECT COUNT(*) FROM segment_member WHERE member = 1") == 10)
        if backend == .sqlite {
            #expect(try StoreDump.integrity(fixture.store.database) == "ok")
            #expect(try StoreDump.orphans(fixture.store.database) == 0)
        } else {
            #expect(try fixture.count("SELECT COUNT(*) FROM segment_block b WHERE NOT EXISTS (SELECT 1 FROM segment s WHERE s.id = b.segment_id AND s.first_day = b.first_day)") == 0)
            #expect(try fixture.count("SELECT COUNT(*) FROM segment_member m WHERE NOT EXISTS (SELECT 1 FROM segment s WHERE s.id = m.segment_id AND s.first_day = m.first_day)") == 0)
        }

        let again = try fixture.store.compact(beforeDay: Self.firstMonday / 86_400_000 + 35)
        #expect(again.weeks.isEmpty && again.segmentsBefore == 10 && again.segmentsAfter == 10)
    }

    /// Asked to stop (a service shutting down), compaction ends between two weeks: the
    /// weeks done are done, the others wait for the next run.
    @Test func stopsBetweenWeeksWhenAsked() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        try Self.ingestWeeks(fixture, reporters: ["isp-a"], weeks: 5)
        var asked = 0
        let stopped = try fixture.store.compact(beforeDay: Self.firstMonday / 86_400_000 + 35, shouldStop: {
            asked += 1
            return asked > 2
        })
        #expect(stopped.weeks.map(\.week) == ["2026-06-01", "2026-06-08"] && stopped.segmentsAfter == 8)
        let rest = try fixture.store.compact(beforeDay: Self.firstMonday / 86_400_000 + 35)
        #expect(rest.weeks.count == 3 && rest.segmentsAfter == 5)
    }

    /// A week with a damaged block is left as it was, with the reason; the other weeks are
    /// merged; `store compact` exits 3.
    @Test func aDamagedWeekIsLeftAsItWasAndTheOthersGoOn() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        try Self.ingestWeeks(fixture, reporters: ["isp-a"], weeks: 2)
        try fixture.store.database.write { db in
            try db.execute(sql: "DROP TRIGGER segment_block_no_update")
            try db.execute(sql: "UPDATE segment_block SET data = x'0501020304' WHERE segment_id = (SELECT MIN(id) FROM segment)")
        }
        let result = try CommandRunner.run(["store", "compact", "--db", fixture.databasePath, "--before", "2026-11-30", "--json"])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("1 week(s) left as they were"), "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let weeks = try #require(json["weeks"] as? [[String: Any]])
        #expect(weeks.map { $0["week"] as? String } == ["2026-06-01", "2026-06-08"])
        #expect((weeks[0]["skipped"] as? String)?.contains("does not inflate") == true, "\(weeks[0])")
        #expect(weeks[1]["skipped"] is NSNull)
        #expect(json["segments_before"] as? Int == 4 && json["segments_after"] as? Int == 3)
        #expect(try StoreDump.orphans(fixture.store.database) == 0)
    }

    /// A shipment that comes late for a compacted week is a segment of its own until the next
    /// compaction merges it into the week; the store then equals one that ingested everything
    /// and never compacted (in SQLite), record for record, whichever database was compacted.
    @Test(arguments: Backend.allCases) func aLateShipmentJoinsItsCompactedWeek(_ backend: Backend) throws {
        let compacted = try IngestFixture(backend)
        defer { compacted.remove() }
        let plain = try IngestFixture()
        defer { plain.remove() }
        try Self.ingestWeeks(compacted, reporters: ["isp-a"], weeks: 2)
        try Self.ingestWeeks(plain, reporters: ["isp-a"], weeks: 2)
        _ = try compacted.store.compact(beforeDay: Self.firstMonday / 86_400_000 + 14)
        #expect(try compacted.count("SELECT COUNT(*) FROM segment") == 2)
        let lateDay = Self.syslogDay(Self.firstMonday + 5 * 86_400_000)
        for fixture in [compacted, plain] {
            let late = try fixture.write("late.log", TestLog.postfix(lines: 300, seed: 77, day: lateDay, clients: 200))
            let outcomes = try fixture.ingestor().ingest(files: [late], reporter: fixture.reporter("isp-a"), now: time("2026-11-29T07:00:00Z"))
            #expect(outcomes.map(\.status) == [.ingested])
        }
        #expect(try compacted.count("SELECT COUNT(*) FROM segment") == 3)
        let merged = try compacted.store.compact(beforeDay: Self.firstMonday / 86_400_000 + 14)
        #expect(merged.weeks.map(\.segments) == [2] && merged.weeks.first?.week == "2026-06-01")
        #expect(try compacted.count("SELECT COUNT(*) FROM segment") == 2)
        #expect(try compacted.count("SELECT COUNT(*) FROM segment_member WHERE member = 2") == 1, "the week's three shipments, in shipment order")
        let clients = try Self.clients(plain)
        let (got, want) = (try Self.view(compacted, clients: clients, acrossStores: true), try Self.view(plain, clients: clients, acrossStores: true))
        #expect(got == want, "first difference: \(zip(got, want).first { $0 != $1 }.map { "\($0.0) | \($0.1)" } ?? "in length")")
    }

    /// While weeks are compacted, a reader on another thread sees every client's records
    /// complete at every moment: the old segments or the new one, never both, never neither.
    @Test(arguments: Backend.allCases) func readersSeeTheOldSegmentsOrTheNewOne(_ backend: Backend) throws {
        let fixture = try IngestFixture(backend)
        defer { fixture.remove() }
        try Self.ingestWeeks(fixture, reporters: ["isp-a", "isp-b"], weeks: 6, perWeek: 3)
        let clients = Array(try Self.clients(fixture).prefix(8))
        let expected = try clients.map { try fixture.store.records(of: $0).map { "\($0.shipmentSHA256)/\($0.record.day)/\($0.record.counts)" } }
        let store = fixture.store
        final class Shared: Sendable {
            let done = Atomic(false)
            let reads = Atomic(0)
            let wrong = Mutex<[String]>([])
        }
        let shared = Shared()
        let reader = Thread {
            while !shared.done.load(ordering: .acquiring) {
                for (ip, want) in zip(clients, expected) {
                    do {
                        let got = try store.records(of: ip).map { "\($0.shipmentSHA256)/\($0.record.day)/\($0.record.counts)" }
                        if got != want { shared.wrong.withLock { $0.append("\(ip): \(got.count) records, expected \(want.count)") } }
                    } catch {
                        shared.wrong.withLock { $0.append("\(ip): \(error)") }
                    }
                    shared.reads.add(1, ordering: .relaxed)
                }
            }
        }
        reader.start()
        for week in 0..<6 {
            // One week at a time, so the reader runs between and during the transactions.
            _ = try store.compact(beforeDay: Self.firstMonday / 86_400_000 + Int64(week * 7 + 7))
        }
        shared.done.store(true, ordering: .releasing)
        while !reader.isFinished { usleep(1000) }
        let wrong = shared.wrong.withLock { $0 }
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
        #expect(shared.reads.load(ordering: .relaxed) > 0)
        #expect(try fixture.count("SELECT COUNT(*) FROM segment") == 12)
    }

    /// `store compact` killed with -9 after its first week: the store is whole (integrity,
    /// no orphan), reads as before, and the next run finishes the other weeks.
    @Test func compactionKilledMidwayLeavesACorrectStoreThatTheNextRunFinishes() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        try Self.ingestWeeks(fixture, reporters: ["isp-a", "isp-b"], weeks: 20, perWeek: 3, lines: 200)
        let clients = try Self.clients(fixture)
        let before = try Self.view(fixture, clients: clients)
        #expect(try fixture.count("SELECT COUNT(*) FROM segment") == 120)

        let process = Process()
        process.executableURL = try CommandRunner.binary()
        process.arguments = ["store", "compact", "--db", fixture.databasePath, "--before", "2026-11-30"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Killed as soon as it tells of its first merged week.
        var told = ""
        while !told.contains("compacted a week") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            told += String(decoding: chunk, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "killed, not finished: \(told)")
        let left = try fixture.count("SELECT COUNT(*) FROM segment")
        #expect(left < 120 && left > 40, "stopped midway: \(left) segments")
        #expect(try StoreDump.integrity(fixture.store.database) == "ok")
        #expect(try StoreDump.orphans(fixture.store.database) == 0)
        #expect(try Self.view(fixture, clients: clients) == before)

        let result = try CommandRunner.run(["store", "compact", "--db", fixture.databasePath, "--before", "2026-11-30", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["segments_before"] as? Int == left && json["segments_after"] as? Int == 40)
        #expect(try Self.view(fixture, clients: clients) == before)
        #expect(try StoreDump.orphans(fixture.store.database) == 0)
    }
}
