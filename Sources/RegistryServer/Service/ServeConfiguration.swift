import Foundation
import Primitives
import RegistryClient
import Yams

/// `serve`'s configuration (FORMATS.md §7): a YAML file whose every key is also a flag
/// (`evaluate_every` ↔ `--evaluate-every`). Sizes take a number of bytes or a unit (`20GiB`,
/// `512MB`); durations seconds or a unit (`90s`, `5m`, `24h`).
public struct ServeConfiguration: Codable, Sendable, Equatable {
    /// HTTP listen address (`ADDR:PORT`).
    public var http = "127.0.0.1:8080"
    /// DNS listen address; no DNS server without it.
    public var dns: String?
    public var zone: String?
    public var dnsThreads: Int?
    public var dnsTTL = 300
    /// The zone's name servers: `NAME` or `NAME=ADDR` (FORMATS.md §8), the first the SOA's MNAME.
    public var ns: [String] = []
    /// Who may transfer the zone (AXFR over TCP): addresses or networks.
    public var allowTransfer: [String] = []
    /// Secondaries sent NOTIFY on every change (ADDR:PORT).
    public var notify: [String] = []
    /// TSIG key file (BIND syntax): transfers must be signed with it; answers and NOTIFYs are.
    public var tsigKey: String?
    /// DNSSEC key file (`registry dnssec keygen`): answers to DO queries are signed.
    public var dnssecKey: String?
    /// IXFR sends differences from serials at most this many registry changes behind.
    public var ixfrHistory = Int(ZoneTransfer.defaultHistory)
    /// The database (`--db`): a SQLite file, or `postgres://…`; nil for the default.
    public var db: String?
    /// The data folder (`--data-dir`); nil for the default (the SQLite file's folder, or `.`).
    public var dataDir: String?
    /// The spool folder (default `spool/` in the data folder).
    public var spool: String?
    /// The rules folder (default as for `evaluate`).
    public var rules: String?
    public var tlsCert: String?
    public var tlsKey: String?
    public var evaluateEvery: Duration = .seconds(300)
    /// Minutes after midnight (UTC) from which segment compaction runs once a day, within
    /// the hour and only when the spool is idle; nil (`off`) never.
    public var compactAt: Int? = 3 * 60 + 30
    public var spoolSettle: Duration = .seconds(60)
    public var spoolPoll: Duration = .seconds(5)
    /// How long a worker's claim on spool files holds without renewal (renewed every third
    /// of it while the worker works); a dead worker's files wait this long for another.
    public var spoolLease: Duration = .seconds(300)
    public var rulesPoll: Duration = .seconds(2)
    public var uploadIdleTimeout: Duration = .seconds(60)
    public var partialRetention: Duration = .seconds(86_400)
    public var maxUploadBytes: Int64 = 20 << 30
    public var maxConcurrentUploads = 4
    /// Uploads are refused (`507`) while the spool's filesystem has less free space.
    public var minFreeBytes: Int64 = 1 << 30
    public var maxHeaderBytes = 16 * 1024
    public var maxHeaderCount = 100
    /// A gzip file that inflates beyond this ratio is quarantined as a bomb.
    public var maxExpansionRatio = 200
    /// Public RDAP lookups per client address and minute.
    public var rdapPerMinute = 60
    /// `text` or `json`.
    public var logFormat = "text"
    public var logLevel = "info"
    /// A provisional suspension should be reviewed within this (the queue marks it overdue).
    public var reviewDeadline: Duration = .seconds(86_400)
    /// A staff session ends this long after login, however active.
    public var sessionLifetime: Duration = .seconds(8 * 3600)
    /// A staff session ends after this long without a request.
    public var sessionIdle: Duration = .seconds(30 * 60)
    /// The relay that carries the e-mails to abuse contacts (FORMATS.md §9); none: notices
    /// stay queued.
    public var smtpRelay: String?
    public var smtpFrom: String?
    public var smtpUsername: String?
    public var smtpPasswordFile: String?
    /// Trust anchors for the relay's certificate (default: the system's).
    public var smtpCAFile: String?
    /// Check the relay's certificate after STARTTLS.
    public var smtpVerifyTLS = true
    /// The name given in EHLO (default: the host's name).
    public var smtpHelo: String?
    /// How long to wait for each of the relay's replies.
    public var smtpTimeout: Duration = .seconds(60)
    /// The first retry after a temporary failure; each next one waits twice as long, up to
    /// `smtpRetryMax`; after `smtpGiveUp` the notice fails.
    public var smtpRetry: Duration = .seconds(60)
    public var smtpRetryMax: Duration = .seconds(3600)
    public var smtpGiveUp: Duration = .seconds(2 * 86_400)
    /// Per-reporter limits that override the ones above.
    public var reporters: [String: ReporterLimits] = [:]

    public struct ReporterLimits: Codable, Sendable, Equatable {
        public var maxUploadBytes: Int64?
        public var maxConcurrentUploads: Int?

        enum CodingKeys: String, CodingKey {
            case maxUploadBytes = "max_upload_bytes"
            case maxConcurrentUploads = "max_concurrent_uploads"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            maxUploadBytes = try c.decodeIfPresent(ConfigText.self, forKey: .maxUploadBytes).map { try ConfigValue.bytes($0.text, key: "max_upload_bytes") }
            maxConcurrentUploads = try c.decodeIfPresent(Int.self, forKey: .maxConcurrentUploads)
        }

        public init(maxUploadBytes: Int64? = nil, maxConcurrentUploads: Int? = nil) {
            self.maxUploadBytes = maxUploadBytes
            self.maxConcurrentUploads = maxConcurrentUploads
        }
    }

    public init() {}

    public func maxUploadBytes(for reporter: String) -> Int64 { reporters[reporter]?.maxUploadBytes ?? maxUploadBytes }
    public func maxConcurrentUploads(for reporter: String) -> Int { reporters[reporter]?.maxConcurrentUploads ?? maxConcurrentUploads }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case db
        case dataDir = "data_dir"
        case http, dns, zone
        case dnsThreads = "dns_threads"
        case dnsTTL = "dns_ttl"
        case ns
        case allowTransfer = "allow_transfer"
        case notify
        case tsigKey = "tsig_key"
        case dnssecKey = "dnssec_key"
        case ixfrHistory = "ixfr_history"
        case spool, rules
        case tlsCert = "tls_cert"
        case tlsKey = "tls_key"
        case evaluateEvery = "evaluate_every"
        case compactAt = "compact_at"
        case spoolSettle = "spool_settle"
        case spoolPoll = "spool_poll"
        case spoolLease = "spool_lease"
        case rulesPoll = "rules_poll"
        case uploadIdleTimeout = "upload_idle_timeout"
        case partialRetention = "partial_retention"
        case maxUploadBytes = "max_upload_bytes"
        case maxConcurrentUploads = "max_concurrent_uploads"
        case minFreeBytes = "min_free_bytes"
        case maxHeaderBytes = "max_header_bytes"
        case maxHeaderCount = "max_header_count"
        case maxExpansionRatio = "max_expansion_ratio"
        case rdapPerMinute = "rdap_per_minute"
        case logFormat = "log_format"
        case logLevel = "log_level"
        case reviewDeadline = "review_deadline"
        case sessionLifetime = "session_lifetime"
        case sessionIdle = "session_idle"
        case smtpRelay = "smtp_relay"
        case smtpFrom = "smtp_from"
        case smtpUsername = "smtp_username"
        case smtpPasswordFile = "smtp_password_file"
        case smtpCAFile = "smtp_ca_file"
        case smtpVerifyTLS = "smtp_verify_tls"
        case smtpHelo = "smtp_helo"
        case smtpTimeout = "smtp_timeout"
        case smtpRetry = "smtp_retry"
        case smtpRetryMax = "smtp_retry_max"
        case smtpGiveUp = "smtp_give_up"
        case reporters
    }

    /// Every key a config file may hold (flags are the same with `-` for `_`).
    public static var keys: [String] { CodingKeys.allCases.map(\.rawValue) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func text(_ key: CodingKeys) throws -> String? { try c.decodeIfPresent(ConfigText.self, forKey: key)?.text }
        // The repeatable keys may be YAML lists; each of those keys is then done.
        var listed: Set<CodingKeys> = [.reporters]
        for key in [CodingKeys.ns, .allowTransfer, .notify] {
            guard let list = try? c.decodeIfPresent([String].self, forKey: key) else { continue }
            for value in list { try set(key.rawValue, to: value) }
            listed.insert(key)
        }
        for key in CodingKeys.allCases where !listed.contains(key) {
            guard let value = try text(key) else { continue }
            try set(key.rawValue, to: value)
        }
        reporters = try c.decodeIfPresent([String: ReporterLimits].self, forKey: .reporters) ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(db.map(PostgresLocation.redacted), forKey: .db)
        try c.encodeIfPresent(dataDir, forKey: .dataDir)
        try c.encode(http, forKey: .http)
        try c.encodeIfPresent(dns, forKey: .dns)
        try c.encodeIfPresent(zone, forKey: .zone)
        try c.encodeIfPresent(dnsThreads, forKey: .dnsThreads)
        try c.encode(dnsTTL, forKey: .dnsTTL)
        if !ns.isEmpty { try c.encode(ns, forKey: .ns) }
        if !allowTransfer.isEmpty { try c.encode(allowTransfer, forKey: .allowTransfer) }
        if !notify.isEmpty { try c.encode(notify, forKey: .notify) }
        try c.encodeIfPresent(tsigKey, forKey: .tsigKey)
        try c.encodeIfPresent(dnssecKey, forKey: .dnssecKey)
        try c.encode(ixfrHistory, forKey: .ixfrHistory)
        try c.encodeIfPresent(spool, forKey: .spool)
        try c.encodeIfPresent(rules, forKey: .rules)
        try c.encodeIfPresent(tlsCert, forKey: .tlsCert)
        try c.encodeIfPresent(tlsKey, forKey: .tlsKey)
        try c.encode(ConfigValue.format(evaluateEvery), forKey: .evaluateEvery)
        try c.encode(compactAt.map { String(format: "%02d:%02d", $0 / 60, $0 % 60) } ?? "off", forKey: .compactAt)
        try c.encode(ConfigValue.format(spoolSettle), forKey: .spoolSettle)
        try c.encode(ConfigValue.format(spoolPoll), forKey: .spoolPoll)
        try c.encode(ConfigValue.format(spoolLease), forKey: .spoolLease)
        try c.encode(ConfigValue.format(rulesPoll), forKey: .rulesPoll)
        try c.encode(ConfigValue.format(uploadIdleTimeout), forKey: .uploadIdleTimeout)
        try c.encode(ConfigValue.format(partialRetention), forKey: .partialRetention)
        try c.encode(maxUploadBytes, forKey: .maxUploadBytes)
        try c.encode(maxConcurrentUploads, forKey: .maxConcurrentUploads)
        try c.encode(minFreeBytes, forKey: .minFreeBytes)
        try c.encode(maxHeaderBytes, forKey: .maxHeaderBytes)
        try c.encode(maxHeaderCount, forKey: .maxHeaderCount)
        try c.encode(maxExpansionRatio, forKey: .maxExpansionRatio)
        try c.encode(rdapPerMinute, forKey: .rdapPerMinute)
        try c.encode(logFormat, forKey: .logFormat)
        try c.encode(logLevel, forKey: .logLevel)
        try c.encode(ConfigValue.format(reviewDeadline), forKey: .reviewDeadline)
        try c.encode(ConfigValue.format(sessionLifetime), forKey: .sessionLifetime)
        try c.encode(ConfigValue.format(sessionIdle), forKey: .sessionIdle)
        try c.encodeIfPresent(smtpRelay, forKey: .smtpRelay)
        try c.encodeIfPresent(smtpFrom, forKey: .smtpFrom)
        try c.encodeIfPresent(smtpUsername, forKey: .smtpUsername)
        try c.encodeIfPresent(smtpPasswordFile, forKey: .smtpPasswordFile)
        try c.encodeIfPresent(smtpCAFile, forKey: .smtpCAFile)
        try c.encode(smtpVerifyTLS, forKey: .smtpVerifyTLS)
        try c.encodeIfPresent(smtpHelo, forKey: .smtpHelo)
        try c.encode(ConfigValue.format(smtpTimeout), forKey: .smtpTimeout)
        try c.encode(ConfigValue.format(smtpRetry), forKey: .smtpRetry)
        try c.encode(ConfigValue.format(smtpRetryMax), forKey: .smtpRetryMax)
        try c.encode(ConfigValue.format(smtpGiveUp), forKey: .smtpGiveUp)
        if !reporters.isEmpty {
            var nested = c.nestedContainer(keyedBy: DynamicKey.self, forKey: .reporters)
            for (id, limits) in reporters.sorted(by: { $0.key < $1.key }) {
                var inner = nested.nestedContainer(keyedBy: ReporterLimits.CodingKeys.self, forKey: DynamicKey(id))
                try inner.encodeIfPresent(limits.maxUploadBytes, forKey: .maxUploadBytes)
                try inner.encodeIfPresent(limits.maxConcurrentUploads, forKey: .maxConcurrentUploads)
            }
        }
    }

    /// Sets one key from its text (a config value or a flag's argument).
    public mutating func set(_ key: String, to value: String) throws(ConfigValue.Invalid) {
        switch key {
        case "db":
            guard !value.isEmpty else { throw ConfigValue.Invalid(key: key, value: value, expected: "a SQLite file or a postgres:// URL") }
            if PostgresLocation.isLocation(value), (try? PostgresLocation(value)) == nil {
                throw ConfigValue.Invalid(key: key, value: PostgresLocation.redacted(value), expected: "a postgres://USER@HOST[:PORT]/NAME URL")
            }
            db = value
        case "data_dir":
            guard !value.isEmpty else { throw ConfigValue.Invalid(key: key, value: value, expected: "a folder") }
            dataDir = value
        case "http": http = try ConfigValue.address(value, key: key)
        case "dns": dns = try ConfigValue.address(value, key: key)
        case "zone": zone = value
        case "dns_threads": dnsThreads = try ConfigValue.integer(value, key: key, in: 1...256)
        case "dns_ttl": dnsTTL = try ConfigValue.integer(value, key: key, in: 0...604_800)
        // Repeatable: one value, or several separated by commas; each is added.
        case "ns": ns += try ConfigValue.list(value, key: key, expected: "NAME or NAME=ADDR") { NameServer.parse($0) != nil }
        case "allow_transfer": allowTransfer += try ConfigValue.list(value, key: key, expected: "ADDR or ADDR/PREFIX") { ZoneTransfer.network($0) != nil }
        case "notify":
            notify += try ConfigValue.list(value, key: key, expected: "ADDR:PORT (an address, not a name)") { RegistryDNSServer.Configuration.notifyTarget($0) != nil }
        case "tsig_key": tsigKey = value
        case "dnssec_key": dnssecKey = value
        case "ixfr_history": ixfrHistory = try ConfigValue.integer(value, key: key, in: 1...Int(UInt32.max / 2))
        case "spool": spool = value
        case "rules": rules = value
        case "tls_cert": tlsCert = value
        case "tls_key": tlsKey = value
        case "evaluate_every": evaluateEvery = try ConfigValue.duration(value, key: key)
        case "compact_at":
            if value == "off" {
                compactAt = nil
            } else {
                let parts = value.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }), let hour = Int(parts[0]), let minute = Int(parts[1]),
                    (0..<24).contains(hour), (0..<60).contains(minute)
                else { throw ConfigValue.Invalid(key: key, value: value, expected: "HH:MM (UTC) or off") }
                compactAt = hour * 60 + minute
            }
        case "spool_settle": spoolSettle = try ConfigValue.duration(value, key: key, allowZero: true)
        case "spool_poll": spoolPoll = try ConfigValue.duration(value, key: key)
        case "spool_lease":
            spoolLease = try ConfigValue.duration(value, key: key)
            guard spoolLease >= .seconds(3) else { throw ConfigValue.Invalid(key: key, value: value, expected: "a duration of 3s or more") }
        case "rules_poll": rulesPoll = try ConfigValue.duration(value, key: key)
        case "upload_idle_timeout": uploadIdleTimeout = try ConfigValue.duration(value, key: key)
        case "partial_retention": partialRetention = try ConfigValue.duration(value, key: key)
        case "max_upload_bytes": maxUploadBytes = try ConfigValue.bytes(value, key: key)
        case "max_concurrent_uploads": maxConcurrentUploads = try ConfigValue.integer(value, key: key, in: 1...10_000)
        case "min_free_bytes": minFreeBytes = try ConfigValue.bytes(value, key: key, allowZero: true)
        case "max_header_bytes": maxHeaderBytes = Int(try ConfigValue.bytes(value, key: key))
        case "max_header_count": maxHeaderCount = try ConfigValue.integer(value, key: key, in: 1...10_000)
        case "max_expansion_ratio": maxExpansionRatio = try ConfigValue.integer(value, key: key, in: 2...1_000_000)
        case "rdap_per_minute": rdapPerMinute = try ConfigValue.integer(value, key: key, in: 1...1_000_000)
        case "review_deadline": reviewDeadline = try ConfigValue.duration(value, key: key)
        case "session_lifetime": sessionLifetime = try ConfigValue.duration(value, key: key)
        case "session_idle": sessionIdle = try ConfigValue.duration(value, key: key)
        case "smtp_relay":
            guard SMTPRelay.endpoint(value) != nil else { throw ConfigValue.Invalid(key: key, value: value, expected: "HOST:PORT (or [IPv6]:PORT)") }
            smtpRelay = value
        case "smtp_from":
            guard MailAddress(value) != nil else { throw ConfigValue.Invalid(key: key, value: value, expected: "a mail address (local@domain)") }
            smtpFrom = value
        case "smtp_username": smtpUsername = value
        case "smtp_password_file": smtpPasswordFile = value
        case "smtp_ca_file": smtpCAFile = value
        case "smtp_verify_tls":
            switch value.lowercased() {
            case "true", "yes", "on": smtpVerifyTLS = true
            case "false", "no", "off": smtpVerifyTLS = false
            default: throw ConfigValue.Invalid(key: key, value: value, expected: "true or false")
            }
        case "smtp_helo":
            guard MailAddress("postmaster@" + value) != nil else { throw ConfigValue.Invalid(key: key, value: value, expected: "a host name") }
            smtpHelo = value
        case "smtp_timeout": smtpTimeout = try ConfigValue.duration(value, key: key)
        case "smtp_retry": smtpRetry = try ConfigValue.duration(value, key: key)
        case "smtp_retry_max": smtpRetryMax = try ConfigValue.duration(value, key: key)
        case "smtp_give_up": smtpGiveUp = try ConfigValue.duration(value, key: key)
        case "log_format":
            guard ["text", "json"].contains(value) else { throw ConfigValue.Invalid(key: key, value: value, expected: "text or json") }
            logFormat = value
        case "log_level":
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value) else {
                throw ConfigValue.Invalid(key: key, value: value, expected: "trace, debug, info, notice, warning, error or critical")
            }
            logLevel = value
        default: throw ConfigValue.Invalid(key: key, value: value, expected: "a known key (\(Self.keys.joined(separator: ", ")))")
        }
    }

    /// Reads a YAML config file.
    public static func load(path: String) throws -> ServeConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigValue.FileError(path: path, message: "cannot read it: \(error.localizedDescription)")
        }
        do {
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return ServeConfiguration() }
            if let node = try Yams.compose(yaml: text), case .mapping(let mapping) = node {
                for key in mapping.keys {
                    guard let name = key.string, Self.keys.contains(name) else {
                        throw ConfigValue.FileError(
                            path: path, message: "line \(key.mark?.line ?? 0): unknown key '\(key.string ?? "?")' (known: \(Self.keys.joined(separator: ", ")))")
                    }
                }
            }
            return try YAMLDecoder().decode(ServeConfiguration.self, from: text)
        } catch let error as ConfigValue.FileError {
            throw error
        } catch let error as ConfigValue.Invalid {
            throw ConfigValue.FileError(path: path, message: error.description)
        } catch {
            throw ConfigValue.FileError(path: path, message: "\(error)")
        }
    }

    /// The effective configuration as YAML (`--print-config`).
    public func yaml() throws -> String {
        try YAMLEncoder().encode(self)
    }
}

struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A scalar config value read as text, whatever YAML type it was written as.
struct ConfigText: Decodable {
    var text: String
    /// The scalar as written: YAML 1.1 would read `03:30` as the number 210 and `off` as
    /// false.
    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(String.self) {
            text = v
        } else if let v = try? c.decode(Int64.self) {
            text = String(v)
        } else {
            text = String(try c.decode(Double.self))
        }
    }
}
