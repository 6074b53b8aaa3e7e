import EnforcementEngine
import Foundation
import Primitives
import Synchronization
import TestSupport
import Testing

/// The spool's queue, shared by the workers of several processes: each file claimed by one
/// worker at a time, a dead worker's claim taken again once its lease runs out.
struct SpoolQueueTests {
    /// A clock the test moves.
    final class TestClock: Sendable {
        let now = Atomic<Int64>(1_795_932_000_000)
        var clock: WallClock { WallClock { [self] in self.now.load(ordering: .relaxed) } }
        func advance(seconds: Int64) { now.add(seconds * 1000, ordering: .relaxed) }
    }

    @Test(arguments: Backend.allCases) func workersClaimingAtOnceTakeEachFileOnce(_ backend: Backend) throws {
        let fixture = try IngestFixture(backend)
        defer { fixture.remove() }
        let files = (0..<120).map { (reporterID: $0 % 2 == 0 ? "isp-a" : "isp-b", path: String(format: "isp-%@/night-%03d.log", $0 % 2 == 0 ? "a" : "b", $0)) }
        let first = SpoolQueue(store: fixture.store)
        try first.enqueue(files, now: 1)
        // Queued again (another worker's scan of the same folder): each keeps its one row.
        try first.enqueue(files, now: 2)
        let claimed = Mutex<[String: [String]]>([:])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let worker = SpoolQueue(store: fixture.store)
            while let claims = try? worker.claim(limit: 3), !claims.isEmpty {
                claimed.withLock { $0[worker.owner, default: []] += claims.map(\.path) }
                // Held a moment, as while a file is ingested: the others claim meanwhile.
                Thread.sleep(forTimeInterval: 0.002)
                for claim in claims { try? worker.finish(claim.path) }
            }
        }
        let byWorker = claimed.withLock { $0 }
        let all = byWorker.values.flatMap { $0 }
        #expect(all.count == files.count, "each file claimed exactly once: \(all.count) claims")
        #expect(Set(all) == Set(files.map(\.path)))
        #expect(try first.entries().isEmpty, "finished files leave the queue")
    }

    @Test(arguments: Backend.allCases) func aDeadWorkersClaimIsTakenAgainOnlyOnceItsLeaseRunsOut(_ backend: Backend) throws {
        let fixture = try IngestFixture(backend)
        defer { fixture.remove() }
        let time = TestClock()
        let dead = SpoolQueue(store: fixture.store, lease: .seconds(30), clock: time.clock)
        let alive = SpoolQueue(store: fixture.store, lease: .seconds(30), clock: time.clock)
        try dead.enqueue([("isp-a", "isp-a/one.log"), ("isp-a", "isp-a/two.log")], now: 1)
        #expect(try dead.claim(limit: 1).map(\.path) == ["isp-a/one.log"])
        // Within the lease the other worker gets only the free file.
        time.advance(seconds: 29)
        #expect(try alive.claim(limit: 5).map(\.path) == ["isp-a/two.log"])
        #expect(try alive.claim(limit: 5).isEmpty)
        // The live worker renews; the dead one does not.
        time.advance(seconds: 2)
        #expect(try alive.renew() == 1)
        let taken = try alive.claim(limit: 5)
        #expect(taken.map(\.path) == ["isp-a/one.log"], "the dead worker's file, once its lease ran out")
        #expect(taken.first?.claims == 2)
        time.advance(seconds: 29)
        #expect(try dead.claim(limit: 5).isEmpty, "renewed leases hold")
        // The dead worker, back, cannot take off the queue a file that is no longer its own.
        try dead.finish("isp-a/one.log")
        #expect(try dead.entries().count == 2)
        try alive.finish("isp-a/one.log")
        try alive.giveBack(["isp-a/two.log"])
        let left = try dead.entries()
        #expect(left.map(\.claim.path) == ["isp-a/two.log"])
        #expect(left.first?.owner == nil && left.first?.leaseUntil == nil, "a claim given back is free at once")
        #expect(try dead.claim(limit: 5).map(\.claims) == [1], "and is not counted as a claim that died")
    }

    /// A `serve` killed and started again on the same host takes its dead self's claims at
    /// once; a live process's claims on this host wait for their lease.
    @Test(arguments: Backend.allCases) func claimsOfAProcessThatIsGoneFromThisHostAreTakenAtOnce(_ backend: Backend) throws {
        let fixture = try IngestFixture(backend)
        defer { fixture.remove() }
        let queue = SpoolQueue(store: fixture.store, lease: .seconds(300))
        let host = queue.host
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        try queue.enqueue([("isp-a", "isp-a/dead.log"), ("isp-a", "isp-a/live.log")], now: 1)
        let later = Int64(Date().timeIntervalSince1970 * 1000) + 300_000
        try fixture.store.sql.write { db in
            try db.execute(
                "UPDATE spool_queue SET owner = ?, lease_until = ?, claims = 1 WHERE path = 'isp-a/dead.log'",
                [.text("\(host):\(gone.processIdentifier):x"), .integer(later)])
            try db.execute(
                "UPDATE spool_queue SET owner = ?, lease_until = ?, claims = 1 WHERE path = 'isp-a/live.log'", [.text("\(host):\(getpid()):y"), .integer(later)])
        }
        let claims = try queue.claim(limit: 5)
        #expect(claims.map(\.path) == ["isp-a/dead.log"], "the live process keeps its claim")
        #expect(claims.first?.claims == 2, "the dead process's claim counts as one that ended without an outcome")
    }

    /// A spool pass on a spool another worker shares: it ingests only the files it claims,
    /// and a file whose workers died on it again and again is set aside with the reason.
    @Test(arguments: Backend.allCases) func aPassLeavesOtherWorkersFilesAndSetsAsideAFileThatKilledItsWorkers(_ backend: Backend) throws {
        let fixture = try IngestFixture(backend)
        defer { fixture.remove() }
        let spool = Spool(folder: fixture.folder.appendingPathComponent("spool"), settle: 0)
        var paths: [String] = []
        for i in 0..<4 {
            let url = spool.folder.appendingPathComponent("isp-a/night-\(i).log")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(TestLog.postfix(lines: 200, seed: UInt64(i + 1))).write(to: url)
            paths.append("isp-a/night-\(i).log")
        }
        let time = TestClock()
        let other = SpoolQueue(store: fixture.store, lease: .seconds(60), clock: time.clock)
        try other.enqueue([("isp-a", paths[0])], now: 0)
        try other.enqueue([("isp-a", paths[3])], now: 1)
        try other.enqueue([("isp-a", paths[1]), ("isp-a", paths[2])], now: 2)
        // Another worker holds night-0, and renews; three workers in turn claim night-3 and die.
        #expect(try other.claim(limit: 1).map(\.path) == ["isp-a/night-0.log"])
        for _ in 0..<SpoolQueue.maxClaims {
            let doomed = SpoolQueue(store: fixture.store, lease: .seconds(60), clock: time.clock)
            #expect(try doomed.claim(limit: 1).map(\.path) == ["isp-a/night-3.log"])
            time.advance(seconds: 61)
            try other.renew()
        }
        let queue = SpoolQueue(store: fixture.store, lease: .seconds(60), clock: time.clock)
        let enforcement = Enforcement(store: fixture.store, dataFolder: fixture.folder, clock: time.clock)
        let pass = try enforcement.processSpool(spool, queue: queue)
        let outcomes = Dictionary(uniqueKeysWithValues: pass.outcomes.map { (URL(fileURLWithPath: $0.file).lastPathComponent, $0) })
        #expect(outcomes.keys.sorted() == ["night-1.log", "night-2.log", "night-3.log"], "night-0 is the other worker's")
        #expect(outcomes["night-1.log"]?.status == .ingested && outcomes["night-2.log"]?.status == .ingested)
        let setAside = try #require(outcomes["night-3.log"])
        #expect(setAside.status == .quarantined)
        #expect(setAside.error?.contains("3 workers stopped while ingesting this file") == true, "\(setAside.error ?? "")")
        let reason = try String(contentsOf: spool.folder.appendingPathComponent("quarantine/isp-a/night-3.log.reason"), encoding: .utf8)
        #expect(reason.contains("not tried again"))
        #expect(FileManager.default.fileExists(atPath: spool.folder.appendingPathComponent("isp-a/night-0.log").path), "left in the spool")
        #expect(try queue.entries().map(\.claim.path) == ["isp-a/night-0.log"])
        #expect(try fixture.count("SELECT COUNT(*) FROM shipment WHERE status = 'quarantined' AND error LIKE '%workers stopped%'") == 1)
    }
}
