import CoreMetrics
import EnforcementEngine
import Foundation
import Prometheus
import RegistryClient

/// The service's figures for `/metrics` (Prometheus text format; names start with
/// `abuse_ingest_`). Recorded through swift-metrics into a registry of this process (no
/// global metrics system); the DNS server's own per-core counters are read at scrape time.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    /// Read at each scrape: the DNS server's counters, when it runs.
    private let dns: (@Sendable () -> DNSServerStatistics)?

    public init(dns: (@Sendable () -> DNSServerStatistics)? = nil) {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(10), .milliseconds(100), .seconds(1), .seconds(5), .seconds(30), .seconds(120), .seconds(600)]
        self.factory = factory
        self.dns = dns
        // Present from the start, so that a scrape shows them at zero.
        Counter(label: "abuse_ingest_rule_load_failures_total", factory: factory).increment(by: 0)
        Counter(label: "abuse_ingest_evaluations_total", factory: factory).increment(by: 0)
    }

    /// One upload request's outcome (`queued`, `duplicate`, `partial`, `interrupted`,
    /// `bad_request`, `too_large`, `too_many`, `disk_low`, …) and the body bytes it carried.
    public func upload(reporter: String, status: String, bytes: Int64) {
        Counter(label: "abuse_ingest_uploads_total", dimensions: [("reporter", reporter), ("status", status)], factory: factory).increment()
        Counter(label: "abuse_ingest_upload_bytes_total", dimensions: [("reporter", reporter), ("status", status)], factory: factory).increment(by: max(0, bytes))
    }

    /// One attempt to send a notice: `sent`, `deferred` or `failed`.
    public func notice(kind: String, outcome: String) {
        Counter(label: "abuse_ingest_notices_total", dimensions: [("kind", kind), ("outcome", outcome)], factory: factory).increment()
    }

    public func unauthorized() {
        Counter(label: "abuse_ingest_unauthorized_requests_total", factory: factory).increment()
    }

    /// One file through ingest.
    public func ingested(_ outcome: FileOutcome, receivedAt: Int64) {
        let reporter = outcome.reporter
        Counter(label: "abuse_ingest_files_total", dimensions: [("reporter", reporter), ("status", outcome.status.rawValue)], factory: factory).increment()
        Counter(label: "abuse_ingest_lines_total", dimensions: [("reporter", reporter)], factory: factory).increment(by: outcome.lines)
        Counter(label: "abuse_ingest_events_total", dimensions: [("reporter", reporter)], factory: factory).increment(by: outcome.events)
        switch outcome.status {
        case .quarantined:
            Counter(label: "abuse_ingest_quarantines_total", dimensions: [("reason", QuarantineReason.classify(outcome.error))], factory: factory).increment()
        case .ingested:
            lastShipment(reporter: reporter, at: receivedAt)
        case .duplicate: break
        }
    }

    /// When a reporter's last file was ingested (UTC ms).
    public func lastShipment(reporter: String, at millis: Int64) {
        Gauge(label: "abuse_ingest_reporter_last_shipment_timestamp_seconds", dimensions: [("reporter", reporter)], factory: factory).record(Double(millis) / 1000)
    }

    /// Wall time of one ingest pass over a batch of files.
    public func ingestSeconds(_ duration: Duration) {
        Timer(label: "abuse_ingest_ingest_seconds", factory: factory).recordNanoseconds(duration.nanoseconds)
    }

    public func evaluated(_ evaluation: Evaluation, duration: Duration) {
        Counter(label: "abuse_ingest_evaluations_total", factory: factory).increment()
        Timer(label: "abuse_ingest_evaluation_seconds", factory: factory).recordNanoseconds(duration.nanoseconds)
        for change in evaluation.changes where change.change != .unchanged {
            Counter(label: "abuse_ingest_cases_total", dimensions: [("rule", change.rule), ("change", change.change.rawValue)], factory: factory).increment()
            if change.change == .opened, change.status == .suspended {
                Counter(label: "abuse_ingest_suspensions_total", dimensions: [("rule", change.rule)], factory: factory).increment()
            }
        }
    }

    /// A compaction run: weeks merged and left as they were, its time, and the segments now
    /// in the store.
    public func compacted(_ result: Compaction, duration: Duration) {
        Counter(label: "abuse_ingest_compacted_weeks_total", dimensions: [("outcome", "merged")], factory: factory).increment(by: result.compacted)
        Counter(label: "abuse_ingest_compacted_weeks_total", dimensions: [("outcome", "left")], factory: factory).increment(by: result.leftAsTheyWere)
        Timer(label: "abuse_ingest_compaction_seconds", factory: factory).recordNanoseconds(duration.nanoseconds)
        Gauge(label: "abuse_ingest_segments", factory: factory).record(Double(result.segmentsAfter))
    }

    public func ruleLoadFailed() {
        Counter(label: "abuse_ingest_rule_load_failures_total", factory: factory).increment()
    }

    /// The rules in force: how many, and whether the folder as it is now loads.
    public func rules(count: Int, failing: Bool) {
        Gauge(label: "abuse_ingest_rules_loaded", factory: factory).record(Double(count))
        Gauge(label: "abuse_ingest_rules_folder_failing", factory: factory).record(failing ? 1 : 0)
    }

    /// The exposition text.
    public func text() -> String {
        var out = registry.emitToString()
        if let dns { out += Self.dnsText(dns()) }
        return out
    }

    /// The DNS server's counters as Prometheus counters and a latency histogram.
    static func dnsText(_ s: DNSServerStatistics) -> String {
        var lines = ["# TYPE abuse_ingest_dns_queries_total counter"]
        for answer in DNSAnswerKind.allCases {
            lines.append("abuse_ingest_dns_queries_total{answer=\"\(answer.rawValue)\"} \(s.answers[answer.index])")
        }
        lines.append("# TYPE abuse_ingest_dns_dropped_total counter")
        lines.append("abuse_ingest_dns_dropped_total \(s.dropped)")
        lines.append("# TYPE abuse_ingest_dns_xdp_received_total counter")
        lines.append("abuse_ingest_dns_xdp_received_total \(s.viaXDP)")
        lines.append("# TYPE abuse_ingest_dns_refresh_failures_total counter")
        lines.append("abuse_ingest_dns_refresh_failures_total \(s.refreshFailures)")
        lines.append("# TYPE abuse_ingest_dns_transfers_total counter")
        for outcome in ZoneTransfer.Outcome.allCases {
            lines.append("abuse_ingest_dns_transfers_total{outcome=\"\(outcome.rawValue)\"} \(s.transfers[outcome.index])")
        }
        lines.append("# TYPE abuse_ingest_dns_latency_seconds histogram")
        var cumulative = 0
        for (bound, count) in zip(DNSServerStatistics.latencyBounds, s.latency) {
            cumulative += count
            lines.append("abuse_ingest_dns_latency_seconds_bucket{le=\"\(Self.seconds(bound))\"} \(cumulative)")
        }
        cumulative += s.latency.last ?? 0
        lines.append("abuse_ingest_dns_latency_seconds_bucket{le=\"+Inf\"} \(cumulative)")
        lines.append("abuse_ingest_dns_latency_seconds_sum \(Double(s.latencyNanos) / 1e9)")
        lines.append("abuse_ingest_dns_latency_seconds_count \(cumulative)")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func seconds(_ nanos: Int) -> String {
        let value = Double(nanos) / 1e9
        return String(format: "%g", value)
    }
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
    var millis: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}

/// A short, bounded label for why a file was quarantined (the metric's `reason`).
enum QuarantineReason {
    static func classify(_ error: String?) -> String {
        guard let error = error?.lowercased() else { return "other" }
        if error.contains("expands beyond") { return "gzip_bomb" }
        if error.contains("truncated gzip") || error.contains("truncated compressed") || error.contains("ends inside") || error.contains("ended early") { return "truncated" }
        if error.contains("corrupt") || error.contains("trailing garbage") || error.contains("compressed more than") { return "corrupt" }
        if error.contains("unparsed") || error.contains("format drift") { return "format_drift" }
        if error.contains("changed while") { return "changed_while_read" }
        if error.contains("cannot read") || error.contains("cannot open") { return "unreadable" }
        return "other"
    }
}
