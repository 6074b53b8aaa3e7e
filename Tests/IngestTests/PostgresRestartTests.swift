@testable import EnforcementEngine
import Foundation
import Glibc
import LogParsers
import Primitives
import RegistryClient
import Synchronization
import TestSupport
import Testing

/// Ingest on PostgreSQL while the server stops and starts again (a restart, a failover).
struct PostgresRestartTests {
    /// The server is stopped mid-ingest and started again a second later: the file whose
    /// transaction was cut is rolled back and committed again on a new connection, the
    /// batch goes on, and the store equals a SQLite ingest of the same files.
    @Test func aServerRestartMidIngestRollsTheFileBackAndCommitsItAgain() throws {
        let cluster = try PrivateCluster()
        defer { cluster.remove() }
        let fixture = try IngestFixture(.postgres, location: cluster.location)
        defer { fixture.remove() }
        let reference = try IngestFixture()
        defer { reference.remove() }
        var files: [[UInt8]] = []
        for n in 0..<24 { files.append(TestLog.postfix(lines: 4000, seed: UInt64(n + 1), day: "Nov \(10 + n % 14)", clients: 3000)) }
        let paths = try files.enumerated().map { try fixture.write("mx-\($0.offset).log", $0.element) }
        let referencePaths = try files.enumerated().map { try reference.write("mx-\($0.offset).log", $0.element) }

        var options = Ingestor.Options(dataFolder: fixture.folder)
        options.workers = 1
        let ingestor = Ingestor(store: fixture.store, index: try fixture.store.registry.loadIndex(), options: options)
        let reporter = try fixture.reporter("isp-a")
        let read = Atomic(0)
        let result = Mutex<Result<[FileOutcome], any Error>?>(nil)
        let worker = Thread {
            let outcome = Result { try ingestor.ingest(files: paths, reporter: reporter, now: time("2026-11-29T06:00:00Z")) { report in
                if report.finished { read.add(1, ordering: .relaxed) }
            } }
            result.withLock { $0 = outcome }
        }
        worker.start()
        // Stopped once a few files are read: the next commits meet a server that is gone.
        while read.load(ordering: .relaxed) < 3, result.withLock({ $0 == nil }) { usleep(2000) }
        try cluster.stop()
        sleep(1)
        try cluster.start()
        while result.withLock({ $0 == nil }) { usleep(10_000) }
        let outcomes = try #require(try result.withLock { $0 }?.get())
        #expect(outcomes.map(\.status) == Array(repeating: .ingested, count: files.count), "\(outcomes.compactMap(\.error))")

        _ = try reference.ingestor().ingest(files: referencePaths, reporter: reference.reporter("isp-a"), now: time("2026-11-29T06:00:00Z"))
        #expect(try fixture.snapshot() == reference.snapshot(), "every file once, as a SQLite ingest stores them")
    }
}
