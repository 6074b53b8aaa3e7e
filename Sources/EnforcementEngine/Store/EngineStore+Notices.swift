import Foundation
import Primitives
import RegistryClient

/// The e-mails to abuse contacts (FORMATS.md §9): queued by evaluation and decisions, sent
/// by `serve`'s notifier, each attempt written to the case's history.
extension EngineStore {
    /// What one attempt to send a notice came to.
    public enum NoticeOutcome: Sendable, Equatable {
        case sent(reply: String)
        /// A temporary failure: tried again at `retryAt`.
        case deferred(reply: String, retryAt: Int64)
        case failed(reply: String)

        var status: Notice.Status {
            switch self {
            case .sent: .sent
            case .deferred: .deferred
            case .failed: .failed
            }
        }

        var reply: String {
            switch self {
            case .sent(let r), .deferred(let r, _), .failed(let r): r
            }
        }
    }

    /// A case's notices, oldest first.
    public func notices(caseID: String) throws -> [Notice] {
        try sql.read { db in try db.rows("SELECT \(Notice.columns) FROM notice WHERE case_id = ? ORDER BY id", [.text(caseID)], Notice.init(row:)) }
    }

    /// Notices to send now (queued or deferred, due by `now`), oldest first.
    public func dueNotices(now: Int64, limit: Int = 20) throws -> [Notice] {
        try sql.read { db in
            try db.rows(
                "SELECT \(Notice.columns) FROM notice WHERE status IN ('queued', 'deferred') AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?",
                [.integer(now), .integer(limit)], Notice.init(row:))
        }
    }

    /// Notices by status (for the service's metrics and readiness).
    public func noticeCounts() throws -> [Notice.Status: Int] {
        try sql.read { db in
            var counts: [Notice.Status: Int] = [:]
            try db.query("SELECT status, COUNT(*) FROM notice GROUP BY status", []) { row in
                if let status = Notice.Status(rawValue: try row.requiredText(0)) { counts[status] = Int(try row.required(1)) }
            }
            return counts
        }
    }

    /// Records one attempt: the notice's new status and reply, and a line in the case's
    /// history (actor `notifier`), in one transaction.
    @discardableResult
    public func recordAttempt(noticeID: Int64, outcome: NoticeOutcome, at time: Int64) throws -> Notice {
        try sql.write { db in
            guard var notice = try db.first("SELECT \(Notice.columns) FROM notice WHERE id = ?", [.integer(noticeID)], Notice.init(row:)) else {
                throw CaseError.noSuchNotice(noticeID)
            }
            guard let item = try EnforcementCase.find(notice.caseID, db) else { throw CaseError.noSuchCase(notice.caseID) }
            notice.attempts += 1
            notice.status = outcome.status
            notice.reply = String(outcome.reply.prefix(1000))
            notice.updated = time
            if case .deferred(_, let retryAt) = outcome { notice.nextAttempt = retryAt }
            try notice.update(db)
            var reason = "\(notice.title) to \(notice.recipient), attempt \(notice.attempts): \(notice.reply)"
            if case .deferred(_, let retryAt) = outcome { reason += " (next attempt \(ISOTime.format(millis: retryAt, fraction: false)))" }
            try AuditEntry(
                caseID: item.id, time: time, actor: "notifier", action: "notice \(outcome.status.rawValue)", fromStatus: item.status, toStatus: item.status,
                reason: reason
            ).append(db)
            return notice
        }
    }
}
