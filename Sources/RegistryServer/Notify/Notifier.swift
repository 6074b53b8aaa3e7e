import EnforcementEngine
import Evidence
import Foundation
import Logging
import Primitives
import ServiceLifecycle

/// Sends the queued notices (FORMATS.md §9) through the configured relay: each due notice
/// once per pass, oldest first. A temporary failure (4xx, a lost connection, a timeout)
/// defers it with capped exponential backoff (`smtp_retry` doubling up to
/// `smtp_retry_max`); a permanent one (5xx) fails it, as does `smtp_give_up` without
/// success. Each attempt and the relay's reply go into the case's history. Without
/// `smtp_relay` notices stay queued (and `serve` says so at start).
struct Notifier: Service {
    let store: EngineStore
    let exporter: EvidenceExporter
    let settings: LiveSettings
    let metrics: ServerMetrics
    let clock: WallClock
    let logger: Logger
    /// How often to look for due notices (the CLI's decisions are seen at the next look).
    var poll: Duration = .seconds(2)

    func run() async throws {
        if settings.current.smtpRelay == nil {
            let queued = (try? store.noticeCounts()[.queued]) ?? 0
            logger.notice("no smtp_relay: e-mails to abuse contacts stay queued", metadata: ["queued": "\(queued)"])
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await pass()
                try? await Task.sleep(for: poll)
            }
        }
    }

    /// One look at the queue: sends what is due.
    func pass() async {
        let config = settings.current
        guard let relayText = config.smtpRelay, let endpoint = SMTPRelay.endpoint(relayText) else { return }
        guard let from = config.smtpFrom.flatMap(MailAddress.init) else {
            logger.error("smtp_relay is set without smtp_from: nothing is sent")
            return
        }
        let due: [Notice]
        do {
            due = try store.dueNotices(now: clock.nowMillis())
        } catch {
            logger.error("cannot read the notice queue", metadata: ["error": "\(error)"])
            return
        }
        guard !due.isEmpty else { return }
        var relay = SMTPRelay(
            host: endpoint.host, port: endpoint.port, helo: config.smtpHelo ?? Self.heloName(from: from), username: config.smtpUsername,
            verifyCertificate: config.smtpVerifyTLS, caFile: config.smtpCAFile, timeout: config.smtpTimeout)
        if let file = config.smtpPasswordFile {
            do {
                relay.password = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init)
            } catch {
                logger.error("cannot read smtp_password_file: nothing is sent", metadata: ["file": "\(file)", "error": "\(error.localizedDescription)"])
                return
            }
        }
        for notice in due where !Task.isCancelled {
            let outcome = await attempt(notice, relay: relay, from: from, config: config)
            do {
                let saved = try store.recordAttempt(noticeID: notice.id!, outcome: outcome, at: clock.nowMillis())
                metrics.notice(kind: notice.kind.rawValue, outcome: saved.status.rawValue)
                let metadata: Logger.Metadata = [
                    "case": "\(notice.caseID)", "kind": "\(notice.kind.rawValue)", "to": "\(notice.recipient)", "attempt": "\(saved.attempts)",
                    "reply": "\(saved.reply)",
                ]
                switch saved.status {
                case .sent: logger.notice("notice sent", metadata: metadata)
                case .deferred: logger.warning("notice deferred", metadata: metadata)
                default: logger.error("notice failed", metadata: metadata)
                }
            } catch {
                logger.error("cannot record a notice attempt", metadata: ["case": "\(notice.caseID)", "error": "\(error)"])
            }
        }
    }

    /// One attempt at one notice.
    func attempt(_ notice: Notice, relay: SMTPRelay, from: MailAddress, config: ServeConfiguration) async -> EngineStore.NoticeOutcome {
        let now = clock.nowMillis()
        guard let to = MailAddress(notice.recipient) else { return .failed(reply: "the abuse contact is not a mail address") }
        let message: [UInt8]
        do {
            switch notice.kind {
            case .report:
                // The exporter reads the case itself.
                let bundle = try exporter.bundle(caseID: notice.caseID)
                guard let eml = bundle.files["report.eml"] else { return .failed(reply: "the case's bundle has no report.eml (no registration to address)") }
                message = NoticeMail.report(eml, notice: notice, from: from)
            case .decision:
                guard let (item, _) = try store.enforcementCase(id: notice.caseID) else { return .failed(reply: "the case is gone") }
                message = NoticeMail.decision(notice, case: item, from: from, to: to, now: now)
            }
        } catch {
            return retryOrFail(notice, reply: "cannot build the message: \(error)", now: now, config: config)
        }
        do {
            let reply = try await SMTPClient(relay: relay).send(message: message, from: from, to: to)
            return .sent(reply: reply.description)
        } catch let failure as SMTPClient.Failure {
            if failure.isPermanent { return .failed(reply: failure.description) }
            return retryOrFail(notice, reply: failure.description, now: now, config: config)
        } catch {
            return retryOrFail(notice, reply: "\(error)", now: now, config: config)
        }
    }

    /// Deferred with the next wait (doubling from `smtp_retry`, capped at
    /// `smtp_retry_max`), or failed once `smtp_give_up` has passed since it was queued.
    func retryOrFail(_ notice: Notice, reply: String, now: Int64, config: ServeConfiguration) -> EngineStore.NoticeOutcome {
        let wait = Self.backoff(attempts: notice.attempts, first: config.smtpRetry.millis, most: config.smtpRetryMax.millis)
        if now + wait - notice.created > config.smtpGiveUp.millis {
            return .failed(reply: "\(reply) (given up after \(notice.attempts + 1) attempts)")
        }
        return .deferred(reply: reply, retryAt: now + wait)
    }

    /// The wait after the `attempts + 1`-th failure.
    static func backoff(attempts: Int, first: Int64, most: Int64) -> Int64 {
        var wait = first
        for _ in 0..<min(attempts, 40) where wait < most { wait *= 2 }
        return min(wait, most)
    }

    /// The host's name when it is fully qualified (relays refuse a bare `vm` in EHLO:
    /// Postfix's reject_non_fqdn_helo_hostname), else the sender's domain.
    static func heloName(from: MailAddress) -> String {
        let name = ProcessInfo.processInfo.hostName
        return name.contains(".") && MailAddress("postmaster@" + name) != nil ? name : from.domain
    }
}
