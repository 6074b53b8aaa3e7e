import Foundation
import GRDB
import Primitives

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
        try database.read { db in
            try Notice.fetchAll(db, sql: "SELECT * FROM notice WHERE case_id = ? ORDER BY id", arguments: [caseID])
        }
    }

    /// Notices to send now (queued or deferred, due by `now`), oldest first.
    public func dueNotices(now: Int64, limit: Int = 20) throws -> [Notice] {
        try database.read { db in
            try Notice.fetchAll(
                db, sql: "SELECT * FROM notice WHERE status IN ('queued', 'deferred') AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?",
                arguments: [now, limit])
        }
    }

    /// Notices by status (for the service's metrics and readiness).
    public func noticeCounts() throws -> [Notice.Status: Int] {
        try database.read { db in
            var counts: [Notice.Status: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM notice GROUP BY status") {
                if let status = Notice.Status(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            return counts
        }
    }

    /// Records one attempt: the notice's new status and reply, and a line in the case's
    /// history (actor `notifier`), in one transaction.
    @discardableResult
    public func recordAttempt(noticeID: Int64, outcome: NoticeOutcome, at time: Int64) throws -> Notice {
        try database.write { db in
            guard var notice = try Notice.fetchOne(db, key: noticeID) else { throw CaseError.noSuchCase("notice \(noticeID)") }
            guard let item = try EnforcementCase.fetchOne(db, key: notice.caseID) else { throw CaseError.noSuchCase(notice.caseID) }
            notice.attempts += 1
            notice.status = outcome.status
            notice.reply = String(outcome.reply.prefix(1000))
            notice.updated = time
            if case .deferred(_, let retryAt) = outcome { notice.nextAttempt = retryAt }
            try notice.update(db)
            var reason = "\(notice.title) to \(notice.recipient), attempt \(notice.attempts): \(notice.reply)"
            if case .deferred(_, let retryAt) = outcome { reason += " (next attempt \(ISOTime.format(millis: retryAt, fraction: false)))" }
            var entry = AuditEntry(
                caseID: item.id, time: time, actor: "notifier", action: "notice \(outcome.status.rawValue)", fromStatus: item.status, toStatus: item.status,
                reason: reason)
            try entry.insert(db)
            return notice
        }
    }
}
