import EnforcementEngine
import Foundation
import GRDB
import Primitives

/// The service's part of the database: upload tokens, uploads and the service audit log,
/// beside the engine's tables in the same SQLite file. Each public write is one
/// transaction; every token action is audited in the same transaction as the change.
public final class ServiceStore: Sendable {
    public let engine: EngineStore
    let database: DatabasePool

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
        database = try engine.database
        var migrator = DatabaseMigrator()
        ServiceMigrations.register(in: &migrator)
        try migrator.migrate(database)
    }

    public convenience init(path: String) throws {
        try self.init(engine: EngineStore(path: path))
    }

    // MARK: Tokens

    /// A new token for `reporter`; the text is returned once and never stored.
    public func createToken(reporter: String, expires: Int64?, by actor: String, now: Int64) throws -> (ReporterToken, String) {
        try database.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM reporter WHERE id = ?)", arguments: [reporter]) == true else {
                throw Failure.unknownReporter(reporter)
            }
            let (record, text) = ReporterToken.make(reporter: reporter, now: now, expires: expires)
            try record.insert(db)
            let expiry = expires.map { " expiring \(ISOTime.format(millis: $0, fraction: false))" } ?? ""
            try Self.audit(db, time: now, actor: actor, action: "token.create", subject: reporter, detail: "\(record.id)\(expiry)")
            return (record, text)
        }
    }

    public func tokens(reporter: String) throws -> [ReporterToken] {
        try database.read { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM reporter WHERE id = ?)", arguments: [reporter]) == true else {
                throw Failure.unknownReporter(reporter)
            }
            return try ReporterToken.filter(Column("reporter_id") == reporter).order(Column("created_at"), Column("id")).fetchAll(db)
        }
    }

    public func revokeToken(reporter: String, id: String, by actor: String, now: Int64) throws {
        try database.write { db in
            guard let token = try ReporterToken.fetchOne(db, key: id), token.reporterID == reporter else { throw Failure.noSuchToken(reporter: reporter, token: id) }
            guard token.revokedAt == nil else { throw Failure.alreadyRevoked(id) }
            try db.execute(sql: "UPDATE reporter_token SET revoked_at = ? WHERE id = ?", arguments: [now, id])
            try Self.audit(db, time: now, actor: actor, action: "token.revoke", subject: reporter, detail: id)
        }
    }

    /// The reporter a presented token belongs to, or nil for an unknown, revoked or expired
    /// one (the caller answers all three alike).
    public func authenticate(_ text: String, now: Int64) throws -> String? {
        let id = ReporterToken.id(in: text)
        let token = try database.read { db in try id.flatMap { try ReporterToken.fetchOne(db, key: $0) } }
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
        try database.write { db in
            let known = try UploadRecord.fetchOne(db, key: ["reporter_id": reporter, "sha256": sha256])
            let ingested = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM shipment WHERE sha256 = ? AND status = 'ingested')", arguments: [sha256]) ?? false
            let waiting = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM upload WHERE sha256 = ? AND status IN ('queued', 'ingesting'))", arguments: [sha256]) ?? false
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
            return .queued(record)
        }
    }

    public func upload(reporter: String, sha256: String) throws -> UploadRecord? {
        try database.read { db in try UploadRecord.fetchOne(db, key: ["reporter_id": reporter, "sha256": sha256]) }
    }

    /// A reporter's uploads received at or after `since`, newest first.
    public func uploads(reporter: String, since: Int64?, limit: Int = 1000) throws -> [UploadRecord] {
        try database.read { db in
            try UploadRecord.filter(Column("reporter_id") == reporter && Column("received_at") >= (since ?? 0))
                .order(Column("received_at").desc, Column("sha256")).limit(limit).fetchAll(db)
        }
    }

    /// Uploads waiting in the spool, oldest first; `ingesting` ones (a process stopped
    /// during their ingest) are queued again.
    public func queuedUploads(recover: Bool) throws -> [UploadRecord] {
        try database.write { db in
            if recover { try db.execute(sql: "UPDATE upload SET status = 'queued' WHERE status = 'ingesting'") }
            return try UploadRecord.filter(Column("status") == UploadRecord.Status.queued.rawValue).order(Column("received_at")).fetchAll(db)
        }
    }

    /// Whether an upload waits for ingest.
    public func hasQueuedUploads() throws -> Bool {
        try database.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM upload WHERE status = 'queued')") ?? false }
    }

    public func markIngesting(_ uploads: [UploadRecord]) throws {
        try database.write { db in
            for upload in uploads {
                try db.execute(sql: "UPDATE upload SET status = 'ingesting' WHERE reporter_id = ? AND sha256 = ?", arguments: [upload.reporterID, upload.sha256])
            }
        }
    }

    /// Records what ingest made of an upload. A `duplicate` outcome for bytes this very
    /// upload had committed (the process stopped between the commit and this update) is
    /// told as the ingest it was, with the stored figures.
    public func settle(reporter: String, sha256: String, outcome: FileOutcome) throws {
        try database.write { db in
            guard var record = try UploadRecord.fetchOne(db, key: ["reporter_id": reporter, "sha256": sha256]) else { return }
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
                if let shipment = try Shipment.filter(Column("sha256") == sha256 && Column("status") == "ingested").fetchOne(db),
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
    /// recorded the outcome): settled from the shipment table.
    public func settleMissing(_ upload: UploadRecord) throws {
        let shipment = try database.read { db in
            try Shipment.filter(Column("sha256") == upload.sha256).order(Column("status") == "ingested", Column("id")).fetchAll(db).last
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

    public struct AuditEntry: Codable, Sendable, Equatable, FetchableRecord {
        public var id: Int64
        public var time: Int64
        public var actor: String
        public var action: String
        public var subject: String
        public var detail: String
    }

    public func auditEntries(subject: String? = nil) throws -> [AuditEntry] {
        try database.read { db in
            if let subject {
                return try AuditEntry.fetchAll(db, sql: "SELECT * FROM service_audit WHERE subject = ? ORDER BY id", arguments: [subject])
            }
            return try AuditEntry.fetchAll(db, sql: "SELECT * FROM service_audit ORDER BY id")
        }
    }

    static func audit(_ db: Database, time: Int64, actor: String, action: String, subject: String, detail: String) throws {
        try db.execute(
            sql: "INSERT INTO service_audit (time, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            arguments: [time, String(actor.prefix(100)), action, subject, detail])
    }

    /// Whether the database answers a read.
    public func check() throws {
        _ = try database.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}
