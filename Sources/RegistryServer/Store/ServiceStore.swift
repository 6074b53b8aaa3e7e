import EnforcementEngine
import Foundation
import GRDB
import Primitives
import RegistryClient

/// The service's part of the database: upload tokens, uploads and the service audit log,
/// beside the engine's tables in the same database (the SQLite file, or PostgreSQL). Each
/// public write is one transaction; every token action is audited in the same transaction
/// as the change.
public final class ServiceStore: Sendable {
    public let engine: EngineStore
    let sql: SQLDatabase

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unknownReporter(String)
        case noSuchToken(reporter: String, token: String)
        case alreadyRevoked(String)

        public var description: String {
            switch self {
            case .unknownReporter(let id): "no reporter '\(id)' (add it with: abuse-ingest reporters add \(id) --name NAME)"
            case .noSuchToken(let reporter, let token): "reporter '\(reporter)' has no token '\(token)' (see: abuse-ingest reporters token list \(reporter))"
            case .alreadyRevoked(let token): "token '\(token)' is already revoked"
            }
        }
    }

    public init(engine: EngineStore) throws {
        self.engine = engine
        sql = engine.sql
        switch sql {
        case .sqlite(let pool):
            var migrator = DatabaseMigrator()
            ServiceMigrations.register(in: &migrator)
            try migrator.migrate(pool)
        case .postgres(let pool):
            try PostgresServiceMigrations.migrator.migrate(pool)
        }
    }

    public convenience init(path: String) throws {
        try self.init(engine: EngineStore(path: path))
    }

    // MARK: Tokens

    /// A new token for `reporter`; the text is returned once and never stored.
    public func createToken(reporter: String, expires: Int64?, by actor: String, now: Int64) throws -> (ReporterToken, String) {
        try sql.write { db in
            guard try db.exists("SELECT 1 FROM reporter WHERE id = ?", [.text(reporter)]) else { throw Failure.unknownReporter(reporter) }
            let (record, text) = ReporterToken.make(reporter: reporter, now: now, expires: expires)
            try record.insert(db)
            let expiry = expires.map { " expiring \(ISOTime.format(millis: $0, fraction: false))" } ?? ""
            try Self.audit(db, time: now, actor: actor, action: "token.create", subject: reporter, detail: "\(record.id)\(expiry)")
            return (record, text)
        }
    }

    public func tokens(reporter: String) throws -> [ReporterToken] {
        try sql.read { db in
            guard try db.exists("SELECT 1 FROM reporter WHERE id = ?", [.text(reporter)]) else { throw Failure.unknownReporter(reporter) }
            return try db.rows(
                "SELECT \(ReporterToken.columns) FROM reporter_token WHERE reporter_id = ? ORDER BY created_at, id", [.text(reporter)], ReporterToken.init(row:))
        }
    }

    public func revokeToken(reporter: String, id: String, by actor: String, now: Int64) throws {
        try sql.write { db in
            guard let token = try ReporterToken.find(id, db), token.reporterID == reporter else { throw Failure.noSuchToken(reporter: reporter, token: id) }
            guard token.revokedAt == nil else { throw Failure.alreadyRevoked(id) }
            try db.execute("UPDATE reporter_token SET revoked_at = ? WHERE id = ?", [.integer(now), .text(id)])
            try Self.audit(db, time: now, actor: actor, action: "token.revoke", subject: reporter, detail: id)
        }
    }

    /// The reporter a presented token belongs to, or nil for an unknown, revoked or expired
    /// one (the caller answers all three alike).
    public func authenticate(_ text: String, now: Int64) throws -> String? {
        let id = ReporterToken.id(in: text)
        let token = try sql.read { db in try id.flatMap { try ReporterToken.find($0, db) } }
        guard let token else {
            // The same work as for a known id, so that timing does not tell ids apart.
            _ = ReporterToken(id: "", reporterID: "", sha256: Data(count: 32), createdAt: 0).matches(text)
            return nil
        }
        guard token.matches(text), token.state(at: now) == "active" else { return nil }
        return token.reporterID
    }

    // MARK: Uploads

    /// What a completed upload became: queued (moved into the spool) or a duplicate.
    public enum Admission: Sendable, Equatable {
        case queued(UploadRecord)
        case duplicate(UploadRecord)
    }

    /// Admits a complete upload held at `partial`: a duplicate when these bytes were
    /// ingested before or wait in the queue (the partial is removed); otherwise the file is
    /// renamed to `target()` in the spool and queued, in the same transaction, so that an
    /// acknowledged upload is never lost nor queued twice.
    public func admit(
        reporter: String, name: String, sha256: String, bytes: Int64, partial: URL, now: Int64, target: () throws -> URL
    ) throws -> Admission {
        try sql.write { db in
            let known = try UploadRecord.find(reporter: reporter, sha256: sha256, db)
            let ingested = try db.exists("SELECT 1 FROM shipment WHERE sha256 = ? AND status = 'ingested'", [.text(sha256)])
            let waiting = try db.exists("SELECT 1 FROM upload WHERE sha256 = ? AND status IN ('queued', 'ingesting')", [.text(sha256)])
            if known != nil || ingested || waiting {
                try? FileManager.default.removeItem(at: partial)
                if let known { return .duplicate(known) }
                var record = UploadRecord(reporterID: reporter, sha256: sha256, name: name, receivedAt: now, bytes: bytes, status: .duplicate, spoolFile: nil)
                record.error = ingested ? "these bytes were ingested before" : "these bytes wait in the queue already"
                try record.insert(db)
                return .duplicate(record)
            }
            let destination = try target()
            try FileSystemSync.rename(partial, to: destination)
            let record = UploadRecord(reporterID: reporter, sha256: sha256, name: name, receivedAt: now, bytes: bytes, status: .queued, spoolFile: destination.path)
            try record.insert(db)
            // Queued for whichever worker claims it first (`serve` instances share the spool).
            try SpoolQueue.enqueue(db, path: SpoolQueue.path(of: destination), reporterID: reporter, now: now)
            return .queued(record)
        }
    }

    public func upload(reporter: String, sha256: String) throws -> UploadRecord? {
        try sql.read { db in try UploadRecord.find(reporter: reporter, sha256: sha256, db) }
    }

    /// A reporter's uploads received at or after `since`, newest first.
    public func uploads(reporter: String, since: Int64?, limit: Int = 1000) throws -> [UploadRecord] {
        try sql.read { db in
            try db.rows(
                "SELECT \(UploadRecord.columns) FROM upload WHERE reporter_id = ? AND received_at >= ? ORDER BY received_at DESC, sha256 LIMIT ?",
                [.text(reporter), .integer(since ?? 0), .integer(limit)], UploadRecord.init(row:))
        }
    }

    /// Uploads waiting in the spool or being ingested, oldest first. An upload whose worker
    /// died stays `ingesting` until another worker claims its file again (`SpoolQueue`).
    public func queuedUploads() throws -> [UploadRecord] {
        try sql.read { db in
            try db.rows(
                "SELECT \(UploadRecord.columns) FROM upload WHERE status IN ('queued', 'ingesting') ORDER BY received_at", [], UploadRecord.init(row:))
        }
    }

    /// Whether an upload waits for ingest.
    public func hasQueuedUploads() throws -> Bool {
        try sql.read { db in try db.exists("SELECT 1 FROM upload WHERE status = 'queued' LIMIT 1") }
    }

    /// Marks the uploads waiting in these spool files as being ingested (a worker claimed them).
    public func markIngesting(files: [String]) throws {
        guard !files.isEmpty else { return }
        try sql.write { db in
            for file in files {
                try db.execute("UPDATE upload SET status = 'ingesting' WHERE spool_file = ? AND status = 'queued'", [.text(file)])
            }
        }
    }

    /// Records what ingest made of the upload that waited in spool file `file`, if one did
    /// (a file dropped into the spool has no upload row).
    public func settle(file: String, outcome: FileOutcome) throws {
        let upload = try sql.read { db in
            try db.first(
                "SELECT \(UploadRecord.columns) FROM upload WHERE spool_file = ? AND status IN ('queued', 'ingesting')", [.text(file)], UploadRecord.init(row:))
        }
        if let upload { try settle(reporter: upload.reporterID, sha256: upload.sha256, outcome: outcome) }
    }

    /// Records what ingest made of an upload. A `duplicate` outcome for bytes this very
    /// upload had committed (the process stopped between the commit and this update) is
    /// told as the ingest it was, with the stored figures.
    public func settle(reporter: String, sha256: String, outcome: FileOutcome) throws {
        try sql.write { db in
            guard var record = try UploadRecord.find(reporter: reporter, sha256: sha256, db) else { return }
            record.spoolFile = nil
            record.error = outcome.error
            record.lines = outcome.lines
            record.events = outcome.events
            record.unparsed = outcome.unparsed
            record.firstEvent = outcome.firstEvent
            record.lastEvent = outcome.lastEvent
            switch outcome.status {
            case .ingested: record.status = .ingested
            case .quarantined: record.status = .quarantined
            case .duplicate:
                record.status = .duplicate
                if let shipment = try db.first(
                    "SELECT \(Shipment.columns) FROM shipment WHERE sha256 = ? AND status = 'ingested'", [.text(sha256)], Shipment.init(row:)),
                    shipment.reporterID == reporter, shipment.receivedAt >= record.receivedAt
                {
                    record.status = .ingested
                    record.lines = shipment.lines
                    record.events = shipment.events
                    record.unparsed = shipment.unparsed
                    record.firstEvent = shipment.firstEvent.map { ISOTime.format(millis: $0, fraction: false) }
                    record.lastEvent = shipment.lastEvent.map { ISOTime.format(millis: $0, fraction: false) }
                } else {
                    record.error = "these bytes were ingested before"
                }
            }
            try record.update(db)
        }
    }

    /// A queued upload whose spool file is gone (moved by a pass that stopped before it
    /// recorded the outcome): settled from the shipment table (its ingested row, else its
    /// last one). An upload whose file a worker still holds in the spool queue is left to
    /// that worker, which settles it as soon as the file has moved.
    public func settleMissing(_ upload: UploadRecord) throws {
        if let file = upload.spoolFile {
            let inSpool = SpoolQueue.path(of: URL(fileURLWithPath: file))
            guard try !sql.read({ db in try db.exists("SELECT 1 FROM spool_queue WHERE path = ?", [.text(inSpool)]) }) else { return }
        }
        let shipment = try sql.read { db in
            try db.first(
                "SELECT \(Shipment.columns) FROM shipment WHERE sha256 = ? ORDER BY CASE status WHEN 'ingested' THEN 1 ELSE 0 END DESC, id DESC LIMIT 1",
                [.text(upload.sha256)], Shipment.init(row:))
        }
        var outcome = FileOutcome(file: upload.spoolFile ?? upload.name, sha256: upload.sha256, status: .quarantined, lines: 0, events: 0, unparsed: 0, reporter: upload.reporterID)
        if let shipment {
            outcome.status = shipment.status == .ingested ? .duplicate : .quarantined
            outcome.lines = shipment.lines
            outcome.events = shipment.events
            outcome.unparsed = shipment.unparsed
            outcome.error = shipment.error
        } else {
            outcome.error = "the file left the spool before it was ingested"
        }
        try settle(reporter: upload.reporterID, sha256: upload.sha256, outcome: outcome)
    }

    // MARK: Audit

    public struct AuditEntry: Codable, Sendable, Equatable {
        public var id: Int64
        public var time: Int64
        public var actor: String
        public var action: String
        public var subject: String
        public var detail: String

        static let columns = "id, time, actor, action, subject, detail"

        init(row: any SQLRow) throws {
            let statement = "SELECT … FROM service_audit"
            id = try row.required(0, statement)
            time = try row.required(1, statement)
            actor = try row.requiredText(2, statement)
            action = try row.requiredText(3, statement)
            subject = try row.requiredText(4, statement)
            detail = try row.requiredText(5, statement)
        }
    }

    public func auditEntries(subject: String? = nil) throws -> [AuditEntry] {
        try sql.read { db in
            if let subject {
                return try db.rows("SELECT \(AuditEntry.columns) FROM service_audit WHERE subject = ? ORDER BY id", [.text(subject)], AuditEntry.init(row:))
            }
            return try db.rows("SELECT \(AuditEntry.columns) FROM service_audit ORDER BY id", [], AuditEntry.init(row:))
        }
    }

    static func audit(_ db: any SQLSession, time: Int64, actor: String, action: String, subject: String, detail: String) throws {
        try db.execute(
            "INSERT INTO service_audit (time, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            [.integer(time), .text(String(actor.prefix(100))), .text(action), .text(subject), .text(detail)])
    }

    /// Whether the database answers a read.
    public func check() throws {
        _ = try sql.read { db in try db.integer("SELECT 1") }
    }
}
