import Foundation
import Primitives

/// An e-mail to a registration's abuse contact about a case (FORMATS.md §9): the ARF report
/// when the engine suspends the registration, a short notice when staff decide. Queued in
/// the transaction of the change it tells of; `serve`'s notifier sends it through the relay
/// and records each attempt in the case's history.
public struct Notice: Codable, Sendable, Equatable {

    public enum Kind: String, Codable, Sendable {
        /// The bundle's `report.eml`, on a provisional suspension.
        case report
        /// A plain-text notice of a staff decision.
        case decision
    }

    public enum Status: String, Codable, Sendable, CaseIterable {
        case queued, sent, deferred, failed

        /// Queued and deferred notices are still to be sent.
        public var isPending: Bool { self == .queued || self == .deferred }
    }

    public var id: Int64?
    public var caseID: String
    public var kind: Kind
    /// For `decision`: approve, dismiss or reinstate.
    public var decision: String?
    /// The staff member's reason (decision notices repeat it).
    public var reason: String
    public var recipient: String
    public var status: Status
    /// The relay's last reply, or why nothing was sent.
    public var reply: String
    public var created: Int64
    public var updated: Int64
    public var attempts: Int
    /// When the notifier tries next (pending notices only).
    public var nextAttempt: Int64

    enum CodingKeys: String, CodingKey {
        case id
        case caseID = "case_id"
        case kind, decision, reason, recipient, status, reply, created, updated, attempts
        case nextAttempt = "next_attempt"
    }

    /// What it is, as the case's history and `cases show` name it: "abuse report",
    /// "approve notice".
    public var title: String { kind == .report ? "abuse report" : "\(decision ?? "decision") notice" }

    /// A notice to the abuse contact of `registration`, queued at `time`; failed at once
    /// (with the reason) when the contact is not a mail address.
    static func queued(caseID: String, kind: Kind, decision: String? = nil, reason: String = "", contact: String, at time: Int64) -> Notice {
        let valid = MailAddress(contact) != nil
        return Notice(
            caseID: caseID, kind: kind, decision: decision, reason: reason, recipient: contact, status: valid ? .queued : .failed,
            reply: valid ? "" : "not sent: the registration's abuse contact is not a mail address", created: time, updated: time, attempts: 0,
            nextAttempt: time)
    }
}

/// One notice as programs read it: an item of `"notices"` in `cases show --json`.
public struct NoticeDocument: Encodable, Sendable, Equatable {
    public var kind: Notice.Kind
    public var to: String
    public var status: Notice.Status
    public var reply: String
    /// The last change: queued, or the last attempt.
    public var at: String
    public var attempts: Int
    public var decision: String?

    public init(_ n: Notice) {
        kind = n.kind
        to = n.recipient
        status = n.status
        reply = n.reply
        at = ISOTime.format(millis: n.updated, fraction: false)
        attempts = n.attempts
        decision = n.decision
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(to, forKey: .to)
        try c.encode(status, forKey: .status)
        try c.encode(reply, forKey: .reply)
        try c.encode(at, forKey: .at)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(decision, forKey: .decision)
    }

    enum CodingKeys: String, CodingKey { case kind, to, status, reply, at, attempts, decision }
}
