import ArgumentParser
import Foundation
import EnforcementEngine
import Logging
import RegistryClient
import RegistryServer

extension AbuseIngestCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "serve", 
            abstract: "The registry as one long-running service: HTTP intake for ISPs, continuous ingest and evaluation, DNS, metrics.",
            discussion: """
                Every key of the YAML --config file is also a flag (evaluate_every is --evaluate-every); \
                flags win. --print-config prints the effective configuration and exits. Sizes take bytes \
                or a unit (20GiB, 512MB); durations seconds or a unit (90s, 5m, 24h).
                HTTP: PUT/PATCH/HEAD /v1/logs/{name}, GET /v1/logs/{sha256}, GET /v1/logs?since=TIME for \
                reporters with a token (abuse-ingest reporters token create); /healthz, /readyz, /metrics \
                and /rdap/ip/{addr} for everyone. Uploads and files dropped into the spool (DIR/<reporter>/) \
                go through the same ingest as 'ingest --spool'; evaluation follows every committed batch and \
                runs at least every evaluate_every. The rules folder is reloaded when it changes; a folder \
                that does not load keeps the last good set in force (see /readyz).
                SIGTERM or SIGINT: new requests get 503, the file in progress finishes or rolls back, exit \
                within 10 s. SIGHUP: reload the configuration file and the rules.
                On start it prints one line per listening address to standard output (http://…, dns …).
                """
        )

        @OptionGroup var global: GlobalOptions
        @Option(help: "YAML configuration file.") var config: String?
        @Flag(name: .customLong("print-config"), help: "Print the effective configuration as YAML and exit.") var printConfig = false
        @Option(help: "HTTP listen address (default 127.0.0.1:8080).") var http: String?
        @Option(help: "DNS listen address (UDP and TCP); no DNS server without it.") var dns: String?
        @Option(help: "The zone served over DNS (needed with --dns).") var zone: String?
        @Option(name: .customLong("dns-threads"), help: "DNS event-loop threads (default one per core).") var dnsThreads: String?
        @Option(name: .customLong("dns-ttl"), help: "TTL of DNS answers, seconds (default 300).") var dnsTTL: String?
        @Option(help: "The zone's name server: NAME or NAME=ADDR, repeatable (default ns.ZONE; an in-zone name is served with its address).") var ns: [String] = []
        @Option(name: .customLong("allow-transfer"), help: "Allow zone transfers (AXFR and IXFR, TCP) to ADDR or ADDR/PREFIX; repeatable.") var allowTransfer: [String] = []
        @Option(name: .customLong("notify"), help: "Send NOTIFY to this secondary (ADDR:PORT) on every change; repeatable.") var notify: [String] = []
        @Option(name: .customLong("tsig-key"), help: "TSIG key file (BIND syntax, hmac-sha256): zone transfers must be signed with it.") var tsigKey: String?
        @Option(name: .customLong("dnssec-key"), help: "DNSSEC key file (registry dnssec keygen): sign answers to queries with the DO bit.") var dnssecKey: String?
        @Option(name: .customLong("ixfr-history"), help: "IXFR sends differences from serials at most this many registry changes behind (default 100000).")
        var ixfrHistory: String?
        @Option(help: "The spool folder (default spool/ in the data folder).") var spool: String?
        @Option(help: "The rules folder (default as for evaluate).") var rules: String?
        @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS.") var tlsCert: String?
        @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.") var tlsKey: String?
        @Option(name: .customLong("evaluate-every"), help: "Evaluate at least this often (default 5m).") var evaluateEvery: String?
        @Option(name: .customLong("compact-at"), help: "Compact past weeks' segments daily from this UTC time, within the hour, when idle (HH:MM or off; default 03:30).")
        var compactAt: String?
        @Option(name: .customLong("spool-settle"), help: "Leave dropped spool files modified this recently alone (default 60s).") var spoolSettle: String?
        @Option(name: .customLong("spool-poll"), help: "Look at the spool this often (default 5s).") var spoolPoll: String?
        @Option(
            name: .customLong("spool-lease"),
            help: "How long a claim on spool files holds unrenewed: a dead instance's files wait this long for another (default 5m).")
        var spoolLease: String?
        @Option(name: .customLong("rules-poll"), help: "Look at the rules folder this often (default 2s).") var rulesPoll: String?
        @Option(name: .customLong("upload-idle-timeout"), help: "Close a connection whose body stalls this long (default 60s).") var uploadIdleTimeout: String?
        @Option(name: .customLong("partial-retention"), help: "Keep an interrupted upload's bytes this long (default 24h).") var partialRetention: String?
        @Option(name: .customLong("max-upload-bytes"), help: "Largest upload (default 20GiB; per reporter in the config).") var maxUploadBytes: String?
        @Option(name: .customLong("max-concurrent-uploads"), help: "Uploads in flight per reporter (default 4).") var maxConcurrentUploads: String?
        @Option(name: .customLong("min-free-bytes"), help: "Refuse uploads (507) below this much free disk (default 1GiB).") var minFreeBytes: String?
        @Option(name: .customLong("max-header-bytes"), help: "Largest request header (default 16KiB).") var maxHeaderBytes: String?
        @Option(name: .customLong("max-header-count"), help: "Most request header fields (default 100).") var maxHeaderCount: String?
        @Option(name: .customLong("max-expansion-ratio"), help: "Quarantine gzip that inflates beyond this ratio (default 200).") var maxExpansionRatio: String?
        @Option(name: .customLong("rdap-per-minute"), help: "Public RDAP lookups per client address and minute (default 60).") var rdapPerMinute: String?
        @Option(name: .customLong("log-format"), help: "text or json (default text).") var logFormat: String?
        @Option(name: .customLong("review-deadline"), help: "Review a provisional suspension within this (default 24h).") var reviewDeadline: String?
        @Option(name: .customLong("session-lifetime"), help: "A staff session ends this long after login (default 8h).") var sessionLifetime: String?
        @Option(name: .customLong("session-idle"), help: "A staff session ends after this long idle (default 30m).") var sessionIdle: String?
        @Option(name: .customLong("smtp-relay"), help: "Send e-mails to abuse contacts through this relay (HOST:PORT; FORMATS.md §9).") var smtpRelay: String?
        @Option(name: .customLong("smtp-from"), help: "The sender of those e-mails (needed with --smtp-relay).") var smtpFrom: String?
        @Option(name: .customLong("smtp-username"), help: "Log in to the relay as this user (over TLS only, or on loopback).") var smtpUsername: String?
        @Option(name: .customLong("smtp-password-file"), help: "The relay password's file (its first line).") var smtpPasswordFile: String?
        @Option(name: .customLong("smtp-ca-file"), help: "Trust this PEM for the relay's certificate (default: the system's roots).") var smtpCAFile: String?
        @Option(name: .customLong("smtp-helo"), help: "The name given in EHLO (default: the host's name when fully qualified, else the sender's domain).") var smtpHelo: String?
        @Option(name: .customLong("smtp-retry"), help: "First retry after a temporary failure; doubles up to --smtp-retry-max (default 60s).") var smtpRetry: String?
        @Option(name: .customLong("smtp-retry-max"), help: "Longest wait between retries (default 1h).") var smtpRetryMax: String?
        @Option(name: .customLong("smtp-give-up"), help: "A notice not sent after this long fails (default 2d).") var smtpGiveUp: String?
        @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).") var logLevel: String?

        /// The flags given, by config key.
        var flags: [(String, String)] {
            let all: [(String, String?)] = [
                ("db", global.database), ("data_dir", global.dataDir), ("http", http), ("dns", dns), ("zone", zone), ("dns_threads", dnsThreads), ("dns_ttl", dnsTTL), ("tsig_key", tsigKey), ("dnssec_key", dnssecKey), ("ixfr_history", ixfrHistory), ("spool", spool), ("rules", rules),
                ("tls_cert", tlsCert), ("tls_key", tlsKey), ("evaluate_every", evaluateEvery), ("compact_at", compactAt), ("spool_settle", spoolSettle), ("spool_poll", spoolPoll), ("spool_lease", spoolLease),
                ("rules_poll", rulesPoll), ("upload_idle_timeout", uploadIdleTimeout), ("partial_retention", partialRetention),
                ("max_upload_bytes", maxUploadBytes), ("max_concurrent_uploads", maxConcurrentUploads), ("min_free_bytes", minFreeBytes),
                ("max_header_bytes", maxHeaderBytes), ("max_header_count", maxHeaderCount), ("max_expansion_ratio", maxExpansionRatio),
                ("rdap_per_minute", rdapPerMinute), ("log_format", logFormat), ("log_level", logLevel),
                ("review_deadline", reviewDeadline), ("session_lifetime", sessionLifetime), ("session_idle", sessionIdle),
                ("smtp_relay", smtpRelay), ("smtp_from", smtpFrom), ("smtp_username", smtpUsername), ("smtp_password_file", smtpPasswordFile),
                ("smtp_ca_file", smtpCAFile), ("smtp_helo", smtpHelo), ("smtp_retry", smtpRetry), ("smtp_retry_max", smtpRetryMax), ("smtp_give_up", smtpGiveUp),
            ]
            return all.compactMap { key, value in value.map { (key, $0) } } + allowTransfer.map { ("allow_transfer", $0) } + notify.map { ("notify", $0) } + ns.map { ("ns", $0) }
        }

        /// The config file (if any) with the flags over it.
        func effectiveConfiguration() throws -> ServeConfiguration {
            var configuration = try config.map(ServeConfiguration.load) ?? ServeConfiguration()
            // Flags win: --allow-transfer replaces the file's list.
            if !allowTransfer.isEmpty { configuration.allowTransfer = [] }
            if !notify.isEmpty { configuration.notify = [] }
            if !ns.isEmpty { configuration.ns = [] }
            for (key, value) in flags {
                do {
                    try configuration.set(key, to: value)
                } catch {
                    throw ValidationError("--\(key.replacingOccurrences(of: "_", with: "-")): \(error.description)")
                }
            }
            return configuration
        }

        /// The flags' values are checked before anything runs; the file's when it is read.
        func validate() throws {
            var defaults = ServeConfiguration()
            for (key, value) in flags {
                do {
                    try defaults.set(key, to: value)
                } catch {
                    throw ValidationError("--\(key.replacingOccurrences(of: "_", with: "-")): \(error.description)")
                }
            }
        }

        /// How the process logs: text or JSON lines on standard error, at the configured level.
        func logHandlerFactory() -> @Sendable (String) -> any LogHandler {
            let configuration = (try? effectiveConfiguration()) ?? ServeConfiguration()
            let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
            if configuration.logFormat == "json" {
                return { label in
                    var handler = JSONLogHandler(label: label)
                    handler.logLevel = level
                    return handler
                }
            }
            return { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }

        func run() async throws {
            let configuration: ServeConfiguration
            do {
                configuration = try effectiveConfiguration()
            } catch let error as ConfigValue.FileError {
                Terminal.reportError(error.description)
                throw ExitStatus.usage
            }
            if printConfig {
                print(try configuration.yaml(), terminator: "")
                return
            }
            let logger = Logger(label: "abuse-ingest.serve")
            let service: RegistryService
            do {
                let command = self
                // --db and --data-dir, or the config file's db and data_dir.
                let database = configuration.db ?? GlobalOptions.defaultDatabase
                service = try RegistryService(
                    database: database, dataFolder: GlobalOptions.dataFolder(db: database, dataDir: configuration.dataDir), configuration: configuration,
                    logger: logger, ingestPause: Ingest.testPause()
                ) { try command.effectiveConfiguration() }
            } catch let error as ConfigValue.Invalid {
                Terminal.reportError(error.description)
                throw ExitStatus.usage
            }
            try await service.run { address in
                // Unbuffered: whoever started us reads the addresses at once.
                FileHandle.standardOutput.write(Data((address + "\n").utf8))
            }
        }
    }
}
