import Foundation
import Synchronization

/// `/readyz` (FORMATS.md §7.2): `{"store","rules","dns","spool"}`, each `"ok"` or the
/// reason. The service is ready (`200`) when the store answers, the spool takes uploads and
/// the DNS server (when configured) is bound. A rules folder that fails to load is reported
/// but leaves the service ready: the last good set is in force, and refusing uploads over a
/// rules typo would lose ISPs' nights.
public final class Readiness: Sendable {
    public enum DNSState: Sendable, Equatable {
        case disabled, starting, serving, failed(String)
    }
    private let dnsState = Mutex(DNSState.disabled)

    let store: ServiceStore
    let rules: RuleBook
    let spool: URL
    let settings: LiveSettings

    init(store: ServiceStore, rules: RuleBook, spool: URL, settings: LiveSettings) {
        self.store = store
        self.rules = rules
        self.spool = spool
        self.settings = settings
    }

    func setDNS(_ state: DNSState) { dnsState.withLock { $0 = state } }

    public struct Report: Codable, Sendable, Equatable {
        public var store: String
        public var rules: String
        public var dns: String
        public var spool: String
        public var ready: Bool { store == "ok" && spool == "ok" && (dns == "ok" || dns == "disabled") }
    }

    public func report() -> Report {
        var storeState = "ok"
        do { try store.check() } catch { storeState = "the database does not answer: \(error)" }
        let rulesState = rules.error.map { "the rules folder does not load; the last good set stays in force: \($0)" } ?? "ok"
        let dns: String
        switch dnsState.withLock({ $0 }) {
        case .disabled: dns = "disabled"
        case .starting: dns = "starting"
        case .serving: dns = "ok"
        case .failed(let why): dns = why
        }
        var spoolState = "ok"
        if access(spool.path, W_OK) != 0 {
            spoolState = "the spool folder \(spool.path) is not writable"
        } else if let free = FileSystemSync.freeBytes(at: spool.path), free < settings.current.minFreeBytes {
            spoolState = "disk low: \(free) bytes free, below the floor of \(settings.current.minFreeBytes)"
        }
        return Report(store: storeState, rules: rulesState, dns: dns, spool: spoolState)
    }
}
