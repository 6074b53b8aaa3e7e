import Demo
import EnforcementEngine
import Foundation
import Primitives
import RegistryClient
import TestSupport
import Testing

/// `ingest` on a PostgreSQL database, as workers on several hosts would run it: what it
/// stores is what the SQLite store holds after the same files.
struct PostgresIngestCLITests {
    /// Three `ingest` processes at once per reporter, each given all of that reporter's files
    /// in another order, on one PostgreSQL database and one data folder: every file is
    /// ingested once (the others report it a duplicate), and the records, shipments and
    /// archive equal those of a SQLite store that ingested the files one run per file.
    @Test func concurrentIngestsOnPostgresStoreWhatOneSQLiteRunStores() throws {
        let demo = try DemoData()
        defer { demo.remove() }
        let reference = try DemoData.store(from: demo)
        defer { try? FileManager.default.removeItem(at: reference) }
        let database = try TestPostgres()
        defer { database.remove() }
        let folder = try DemoData.store(from: demo, order: [], database: database.url)
        defer { try? FileManager.default.removeItem(at: folder) }

        for reporter in DemoScenario.reporters {
            let files = demo.shipments.filter { $0.reporter == reporter.id }.map(\.path)
            let orders = [files, files.reversed(), Array(files.dropFirst() + files.prefix(1))]
            let processes = try orders.map { order in
                try CommandRunner.start(["ingest", "--reporter", reporter.id, "--db", database.url, "--data-dir", folder.path, "--json"] + order)
            }
            var statuses: [String] = []
            for process in processes {
                let output = (process.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
                let errors = (process.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                #expect(process.terminationStatus == 0, "\(String(decoding: errors, as: UTF8.self))")
                statuses += String(decoding: output, as: UTF8.self).split(separator: "\n").compactMap { line in
                    (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["status"] as? String
                }
            }
            #expect(statuses.filter { $0 == "ingested" }.count == files.count, "\(reporter.id): each file ingested once: \(statuses)")
            #expect(statuses.filter { $0 == "duplicate" }.count == 2 * files.count, "\(reporter.id): \(statuses)")
        }

        let onPostgres = try EngineStore(location: database.url)
        let onSQLite = try EngineStore(path: reference.appendingPathComponent("abuse-ingest.db").path)
        let stored = try Self.contents(of: onPostgres)
        #expect(stored.count > 500, "the demo's records are there: \(stored.count)")
        #expect(stored == (try Self.contents(of: onSQLite)), "the same records and shipments as the SQLite store")
        #expect(try Self.archive(folder) == Self.archive(reference), "the same archived files")
        let someone = try #require(try onSQLite.reporters().first)
        let shipments = try onPostgres.shipments(reporter: someone.id, limit: 100)
        #expect(shipments.count == DemoScenario.nights.count && shipments.allSatisfy { $0.status == .ingested })
    }

    /// The demo's files ingested into SQLite and into PostgreSQL: `evaluate --json`, `cases
    /// list --json`, `cases show --json` of every case, `ip show --json` of the demo's
    /// servers, and after `store compact` the same lookups, print the same bytes on both.
    @Test func evaluationCasesAndLookupsPrintTheSameOnBothBackends() throws {
        let demo = try DemoData()
        defer { demo.remove() }
        let database = try TestPostgres()
        defer { database.remove() }
        let sqliteFolder = try DemoData.store(from: demo)
        defer { try? FileManager.default.removeItem(at: sqliteFolder) }
        let postgresFolder = try DemoData.store(from: demo, database: database.url)
        defer { try? FileManager.default.removeItem(at: postgresFolder) }
        let targets = [
            ["--db", sqliteFolder.appendingPathComponent("abuse-ingest.db").path],
            ["--db", database.url, "--data-dir", postgresFolder.path],
        ]
        func same(_ command: [String], _ what: String) throws -> String {
            let results = try targets.map { try CommandRunner.run(command + $0) }
            #expect(results[0].status == 0 && results[1].status == 0, "\(what): \(results[0].stderr) \(results[1].stderr)")
            #expect(results[0].stdout == results[1].stdout, "\(what) prints the same on both")
            return results[0].stdout
        }
        let asOf = ISOTime.format(millis: DemoScenario.evaluationTime, fraction: false)
        let evaluated = try same(["evaluate", "--rules", demo.folder.appendingPathComponent("rules").path, "--as-of", asOf, "--json"], "evaluate")
        #expect(evaluated.contains(DemoScenario.dictionaryAttacker), "the attacker's case is opened")
        let listed = try same(["cases", "list", "--json"], "cases list")
        let ids = (try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
        #expect(ids.count >= 3, "\(listed)")
        for id in ids { _ = try same(["cases", "show", id, "--json"], "cases show \(id)") }
        let servers = [DemoScenario.goodServer, DemoScenario.dictionaryAttacker, DemoScenario.blockListed, DemoScenario.falselyAccused, DemoScenario.unregisteredSpammer]
        let before = try servers.map { try same(["ip", "show", $0, "--json"], "ip show \($0)") }
        _ = try same(["store", "compact", "--before", "2026-12-07", "--json"], "store compact")
        #expect(try servers.map { try same(["ip", "show", $0, "--json"], "ip show \($0) after compaction") } == before, "compaction changes no lookup")
    }

    /// Every record (named by its shipment's digest, as ids follow commit order) and every
    /// shipment, sorted.
    static func contents(of store: EngineStore) throws -> [String] {
        var lines: [String] = []
        try store.forEachRecord { item in
            let r = item.record
            let counts = r.counts.map { "\($0.hourOfDay)/\($0.kind)/\($0.reason)/\($0.status)=\($0.count)" }.joined(separator: ",")
            let samples = r.samples.map { "\($0.kind).\($0.reason)@\($0.line):\($0.offset)" }.joined(separator: ",")
            lines.append("\(item.shipmentSHA256) \(item.reporter) \(r.ip?.description ?? "?") \(r.day) \(r.first) \(r.last) [\(counts)] [\(samples)]")
        }
        for reporter in try store.reporters() {
            for s in try store.shipments(reporter: reporter.id, limit: 1_000) {
                lines.append("shipment \(s.reporterID) \(s.sha256) \(s.status) \(s.lines) \(s.events) \(s.unparsed) \(s.firstEvent ?? -1) \(s.lastEvent ?? -1)")
            }
        }
        return lines.sorted()
    }

    /// The archive's files, by name.
    static func archive(_ folder: URL) throws -> [String] {
        let archive = folder.appendingPathComponent("archive")
        let names = FileManager.default.enumerator(atPath: archive.path)?.compactMap { $0 as? String } ?? []
        return names.filter { $0.hasSuffix(".gz") }.sorted()
    }
}
