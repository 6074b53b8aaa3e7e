import Foundation
import Logging
import Primitives
import RegistryClient

/// The spool's files waiting for ingest, in the store, shared by every process that ingests
/// from one spool folder: `serve` instances on several hosts with the spool on a shared
/// filesystem, and `ingest --spool`. A worker claims a few files at a time under a lease
/// (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers never wait for each other's claims;
/// SQLite has one writer at a time) and renews it while it works. The lease of a worker
/// that died runs out, and another worker claims its files again. A file is named by its
/// path inside the spool folder (`<reporter-id>/<file>`), the same from every host.
///
/// The queue only spares work: a file ingested twice (a worker whose lease ran out while it
/// was still busy) is committed once all the same, as the shipment's digest is unique.
public struct SpoolQueue: Sendable {
    /// A file a worker holds.
    public struct Claim: Sendable, Equatable {
        /// `<reporter-id>/<file>`, inside the spool folder.
        public var path: String
        public var reporterID: String
        /// How many times the file was claimed, this claim included.
        public var claims: Int
    }

    public let store: EngineStore
    /// This worker's name in the queue: host, process and a random part.
    public let owner: String
    /// This worker's host, the first part of `owner`.
    public let host: String
    /// How long a claim holds without renewal, in milliseconds.
    public let lease: Int64
    public let clock: WallClock
    let logger: Logger

    /// A file claimed this many times (each claim but the last ended by a worker that died
    /// on it) is quarantined instead of ingested again.
    public static let maxClaims = 3

    public init(store: EngineStore, lease: Duration = .seconds(300), clock: WallClock = .system, logger: Logger = Logger(label: "abuse-ingest.spool")) {
        self.store = store
        self.lease = max(1000, lease.components.seconds * 1000 + lease.components.attoseconds / 1_000_000_000_000_000)
        self.clock = clock
        self.logger = logger
        host = ProcessInfo.processInfo.hostName
        owner = "\(host):\(getpid()):\(UUID().uuidString.prefix(8))"
    }

    /// A spool file's name in the queue: `<reporter-id>/<file>`, its last two components.
    public static func path(of file: URL) -> String {
        file.deletingLastPathComponent().lastPathComponent + "/" + file.lastPathComponent
    }

    /// Queues files found in the spool; a file queued already keeps its place (and lease).
    public func enqueue(_ files: [(reporterID: String, path: String)], now: Int64) throws {
        guard !files.isEmpty else { return }
        try store.sql.write { db in
            for file in files { try Self.enqueue(db, path: file.path, reporterID: file.reporterID, now: now) }
        }
    }

    /// Queues one file inside a transaction of the caller's (an upload renamed into the spool
    /// is queued with its upload row).
    package static func enqueue(_ db: any SQLSession, path: String, reporterID: String, now: Int64) throws {
        try db.execute(
            "INSERT INTO spool_queue (path, reporter_id, queued_at) VALUES (?, ?, ?) ON CONFLICT (path) DO NOTHING",
            [.text(path), .text(reporterID), .integer(now)])
    }

    /// Claims up to `limit` files, oldest first: files no one holds, and files whose lease
    /// ran out. The claims are this worker's until their lease ends. The claims of dead
    /// processes of this host (a `serve` killed and started again) are taken at once, not
    /// after their lease.
    public func claim(limit: Int) throws -> [Claim] {
        let now = clock.nowMillis()
        try expireDeadLocalClaims()
        return try store.sql.write { db in
            let lock = db.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
            let claims = try db.rows(
                """
                UPDATE spool_queue SET owner = ?, lease_until = ?, claims = claims + 1
                WHERE path IN (
                    SELECT path FROM spool_queue WHERE lease_until IS NULL OR lease_until < ?
                    ORDER BY queued_at, path LIMIT ?\(lock))
                RETURNING path, reporter_id, claims
                """,
                [.text(owner), .integer(now + lease), .integer(now), .integer(Int64(max(1, limit)))]
            ) { row in
                Claim(path: try row.requiredText(0), reporterID: try row.requiredText(1), claims: Int(try row.required(2)))
            }
            return claims.sorted { $0.path < $1.path }
        }
    }

    /// Ends the leases held by processes of this host that no longer run. An owner is
    /// `host:pid:random`; a process that is gone cannot renew, and its host can tell. (Two
    /// containers with the same host name and separate process numbers could take each
    /// other's live claims: the file is then read twice and committed once.)
    func expireDeadLocalClaims() throws {
        let owners = try store.sql.read { db in
            try db.rows("SELECT DISTINCT owner FROM spool_queue WHERE owner LIKE ? AND lease_until IS NOT NULL", [.text(host + ":%")]) { try $0.requiredText(0) }
        }
        for other in owners where other != owner {
            guard let process = Self.process(of: other), process.host == host else { continue }
            guard kill(process.pid, 0) != 0, errno == ESRCH else { continue }
            logger.notice("the spool claims of a process that stopped are taken again", metadata: ["owner": "\(other)"])
            try store.sql.write { db in try db.execute("UPDATE spool_queue SET lease_until = 0 WHERE owner = ?", [.text(other)]) }
        }
    }

    /// The host and process id an owner (`host:pid:random`) names; nil for another shape.
    static func process(of owner: String) -> (host: String, pid: Int32)? {
        let parts = owner.split(separator: ":")
        guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]), pid > 0 else { return nil }
        return (parts.dropLast(2).joined(separator: ":"), pid)
    }

    /// Extends this worker's leases; returns how many it still holds.
    @discardableResult
    public func renew() throws -> Int {
        let until = clock.nowMillis() + lease
        return try store.sql.write { db in
            try db.execute("UPDATE spool_queue SET lease_until = ? WHERE owner = ? AND lease_until IS NOT NULL", [.integer(until), .text(owner)])
            return Int(try db.integer("SELECT COUNT(*) FROM spool_queue WHERE owner = ?", [.text(owner)]) ?? 0)
        }
    }

    /// Takes a file this worker holds off the queue: it was moved out of the spool, or it
    /// was gone. A file another worker claimed meanwhile is left to that worker.
    public func finish(_ path: String) throws {
        try store.sql.write { db in try db.execute("DELETE FROM spool_queue WHERE path = ? AND owner = ?", [.text(path), .text(owner)]) }
    }

    /// Gives claims back unworked (a pass that stopped): any worker may claim them at once.
    public func giveBack(_ paths: [String]) throws {
        guard !paths.isEmpty else { return }
        try store.sql.write { db in
            for path in paths {
                try db.execute(
                    "UPDATE spool_queue SET owner = NULL, lease_until = NULL, claims = claims - 1 WHERE path = ? AND owner = ?", [.text(path), .text(owner)])
            }
        }
    }

    /// Runs `body` while a thread renews this worker's leases every third of the lease.
    public func keepingLeases<T>(_ body: () throws -> T) rethrows -> T {
        let stop = DispatchSemaphore(value: 0)
        let stopped = DispatchSemaphore(value: 0)
        let interval = DispatchTimeInterval.milliseconds(Int(lease / 3))
        let queue = self
        let thread = Thread {
            while stop.wait(timeout: .now() + interval) == .timedOut {
                do {
                    try queue.renew()
                } catch {
                    queue.logger.warning("cannot renew the spool leases; another worker may take these files", metadata: ["error": "\(error)"])
                }
            }
            stopped.signal()
        }
        thread.name = "spool-lease"
        thread.start()
        defer {
            stop.signal()
            stopped.wait()
        }
        return try body()
    }

    /// What is queued, in claim order (for `serve`'s metrics and tests).
    public func entries() throws -> [(claim: Claim, owner: String?, leaseUntil: Int64?)] {
        try store.sql.read { db in
            try db.rows("SELECT path, reporter_id, claims, owner, lease_until FROM spool_queue ORDER BY queued_at, path") { row in
                (Claim(path: try row.requiredText(0), reporterID: try row.requiredText(1), claims: Int(try row.required(2))), try row.text(3), try row.integer(4))
            }
        }
    }
}
