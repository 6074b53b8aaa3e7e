import EnforcementEngine
import Foundation
import Hummingbird
import UnixSignals
import NIOSSL
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import Primitives
import Evidence
import RegistryClient
import ServiceLifecycle

/// `serve` (FORMATS.md §7): the registry as one process under swift-service-lifecycle: the
/// HTTP API, the ingest worker with evaluation, rules reloads, the DNS server, metrics.
/// SIGTERM drains (new requests get `503`), lets the file in progress finish or roll back,
/// and exits within 10 s; SIGHUP reloads the configuration and the rules.
public final class RegistryService: Sendable {
    public let store: ServiceStore
    public let settings: LiveSettings
    public let metrics: ServerMetrics
    public let rules: RuleBook
    public let intake: LogIntake
    public let worker: IngestWorker
    public let readiness: Readiness
    let dns: RegistryDNSServer?
    let draining = Draining()
    let logger: Logger
    let spool: URL
    let reloadConfiguration: @Sendable () throws -> ServeConfiguration
    let enforcement: Enforcement

    /// Opens the store, loads the rules and binds nothing yet.
    /// - Parameter database: the SQLite file, or a `postgres://` URL.
    /// - Parameter dataFolder: archive, keys, rules and (by default) the spool.
    /// - Parameter reload: reads the configuration again (SIGHUP).
    /// - Parameter ingestPause: crash tests stop ingest inside a file.
    public init(
        database: String, dataFolder: URL, configuration: ServeConfiguration, logger: Logger, ingestPause: Ingestor.Options.PausePoint? = nil,
        reload: @escaping @Sendable () throws -> ServeConfiguration
    ) throws {
        store = try ServiceStore(engine: EngineStore(location: database))
        settings = LiveSettings(configuration)
        self.logger = logger
        reloadConfiguration = reload
        spool = configuration.spool.map { URL(fileURLWithPath: $0) } ?? dataFolder.appendingPathComponent("spool")
        try FileManager.default.createDirectory(at: spool.appendingPathComponent(".uploads"), withIntermediateDirectories: true)
        if let listen = configuration.dns {
            guard let address = ListenAddress(listen) else { throw ConfigValue.Invalid(key: "dns", value: listen, expected: "ADDR:PORT") }
            guard let zoneText = configuration.zone, let zone = DNSName(zoneText), !zone.labels.isEmpty else {
                throw ConfigValue.Invalid(key: "zone", value: configuration.zone ?? "", expected: "a domain name (the zone to serve; needed with dns)")
            }
            let registry = try LiveRegistry(store: store.engine.registry)
            let servers = NameServer.list(configuration.ns, zone: zone)
            var served = RegistryZone(zone: zone, ttl: UInt32(configuration.dnsTTL), nameServers: servers)
            if let path = configuration.dnssecKey {
                let key = try DNSSECKey.load(path: path)
                guard let bound = key.bound(to: zone) else {
                    throw ConfigValue.Invalid(key: "dnssec_key", value: path, expected: "a key for \(zone) (this one is for \(key.zone))")
                }
                served.signer = ZoneSigner(key: bound)
            }
            let responder = DNSResponder(zone: served, registry: registry, clock: { WallClock.system.nowMillis() })
            var dnsConfiguration = RegistryDNSServer.Configuration(
                host: address.host, port: address.port, threads: configuration.dnsThreads ?? RegistryDNSServer.Configuration.defaultThreads)
            dnsConfiguration.notify = configuration.notify
            if !configuration.allowTransfer.isEmpty {
                dnsConfiguration.transfer = .of(
                    store.engine.registry, zone: zone, ttl: served.ttl, negativeTTL: served.negativeTTL, nameServers: servers,
                    allowed: configuration.allowTransfer.compactMap(ZoneTransfer.network),
                    keys: try configuration.tsigKey.map { path throws(TSIGKey.FileError) in try TSIGKey.load(path: path) } ?? [],
                    history: UInt32(configuration.ixfrHistory), signer: served.signer)
            } else if configuration.tsigKey != nil {
                throw ConfigValue.Invalid(key: "tsig_key", value: configuration.tsigKey ?? "", expected: "allow_transfer as well: the key signs zone transfers")
            }
            dns = RegistryDNSServer(responder: responder, configuration: dnsConfiguration, logger: Logger(label: "abuse-ingest.dns"))
        } else {
            dns = nil
        }
        var statistics: (@Sendable () -> DNSServerStatistics)?
        if let server = dns { statistics = { server.statistics } }
        metrics = ServerMetrics(dns: statistics)
        rules = try RuleBook(explicit: configuration.rules, dataFolder: dataFolder, metrics: metrics, logger: logger)
        readiness = Readiness(store: store, rules: rules, spool: spool, settings: settings)
        for reporter in try store.engine.reporters() {
            if let last = try store.engine.shipments(reporter: reporter.id, limit: 50).first(where: { $0.status == .ingested }) {
                metrics.lastShipment(reporter: reporter.id, at: last.receivedAt)
            }
        }
        let nudge = Nudge()
        intake = LogIntake(store: store, spool: spool, settings: settings, metrics: metrics, logger: logger) { nudge.signal() }
        enforcement = Enforcement(store: store.engine, dataFolder: dataFolder, logger: logger)
        worker = IngestWorker(
            enforcement: enforcement, store: store, intake: intake, rules: rules, settings: settings,
            metrics: metrics, spool: spool, logger: logger, nudge: nudge, pause: ingestPause)
    }

    /// Binds HTTP (and DNS), announces each address through `announce`, and serves until
    /// SIGTERM or SIGINT.
    public func run(announce: @escaping @Sendable (String) -> Void) async throws {
        let config = settings.current
        guard let listen = ListenAddress(config.http) else { throw ConfigValue.Invalid(key: "http", value: config.http, expected: "ADDR:PORT") }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let dns {
            readiness.setDNS(.starting)
            do {
                let port = try await dns.bind()
                announce("dns \(dns.configuration.host):\(port)")
                readiness.setDNS(.serving)
            } catch {
                readiness.setDNS(.failed("cannot bind \(config.dns ?? ""): \(error)"))
                throw error
            }
            services.append(.init(service: dns))
        }
        recordRuleFiles()
        let key = try RegistryKey.loadOrCreate(dataFolder: enforcement.dataFolder)
        let staffWeb = try StaffWeb(
            store: store, enforcement: enforcement, key: key, rules: rules, settings: settings,
            secureCookies: config.tlsCert != nil, logger: Logger(label: "abuse-ingest.web"))
        let routes = Routes(
            intake: intake, store: store, readiness: readiness, metrics: metrics, rdap: RDAPLookup(store: store.engine), settings: settings, draining: draining,
            logger: logger, staffWeb: staffWeb)
        var decoder = HTTP1Channel.Configuration.DecoderConfiguration()
        decoder.maxHeaderListSize = config.maxHeaderBytes
        decoder.maxHeaderFieldSize = config.maxHeaderBytes
        decoder.maxHeaderFieldCount = config.maxHeaderCount
        let idle = TimeAmount.nanoseconds(config.uploadIdleTimeout.nanoseconds)
        let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: idle, httpDecoderConfiguration: decoder))
        let server: HTTPServerBuilder
        let scheme: String
        if let cert = config.tlsCert, let key = config.tlsKey {
            let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            server = try .tls(http1, tlsConfiguration: tls)
            scheme = "https"
        } else {
            if config.tlsCert != nil || config.tlsKey != nil { throw ConfigValue.Invalid(key: "tls_cert", value: config.tlsCert ?? "", expected: "set together with tls_key") }
            server = http1
            scheme = "http"
        }
        let host = listen.host.contains(":") ? "[\(listen.host)]" : listen.host
        let app = Application(
            router: routes.router(), server: server,
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "abuse-ingest"),
            onServerRunning: { channel in announce("\(scheme)://\(host):\(channel.localAddress?.port ?? listen.port)") },
            logger: Logger(label: "abuse-ingest.http"))
        services.append(.init(service: worker))
        services.append(
            .init(
                service: Notifier(
                    store: store.engine, exporter: EvidenceExporter(store: store.engine, dataFolder: enforcement.dataFolder, key: key), settings: settings,
                    metrics: metrics, clock: enforcement.clock, logger: Logger(label: "abuse-ingest.notify"))))
        services.append(.init(service: RuleWatcher(rules: rules, settings: settings, worker: worker, service: self)))
        services.append(.init(service: ReloadOnHangup(service: self)))
        services.append(.init(service: app))
        // Last, so that it is the first to hear of a graceful shutdown.
        services.append(.init(service: Drain(draining: draining, intake: intake, logger: logger)))
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("stopped")
    }

    /// SIGHUP: the configuration file again (the keys that need a restart are logged and
    /// kept) and the rules folder.
    func reload() {
        do {
            var fresh = try reloadConfiguration()
            let old = settings.current
            var kept: [String] = []
            if fresh.http != old.http { kept.append("http"); fresh.http = old.http }
            if fresh.dns != old.dns { kept.append("dns"); fresh.dns = old.dns }
            if fresh.zone != old.zone { kept.append("zone"); fresh.zone = old.zone }
            if fresh.dnsThreads != old.dnsThreads || fresh.dnsTTL != old.dnsTTL || fresh.ns != old.ns || fresh.allowTransfer != old.allowTransfer
                || fresh.notify != old.notify || fresh.tsigKey != old.tsigKey || fresh.ixfrHistory != old.ixfrHistory
                || fresh.dnssecKey != old.dnssecKey
            {
                kept.append("dns_threads/dns_ttl/ns/allow_transfer/notify/tsig_key/ixfr_history/dnssec_key")
                (fresh.dnsThreads, fresh.dnsTTL, fresh.ns, fresh.allowTransfer, fresh.notify) = (old.dnsThreads, old.dnsTTL, old.ns, old.allowTransfer, old.notify)
                (fresh.tsigKey, fresh.ixfrHistory, fresh.dnssecKey) = (old.tsigKey, old.ixfrHistory, old.dnssecKey)
            }
            if fresh.spool != old.spool { kept.append("spool"); fresh.spool = old.spool }
            if fresh.rules != old.rules { kept.append("rules"); fresh.rules = old.rules }
            if fresh.tlsCert != old.tlsCert || fresh.tlsKey != old.tlsKey { kept.append("tls_cert/tls_key"); (fresh.tlsCert, fresh.tlsKey) = (old.tlsCert, old.tlsKey) }
            if fresh.maxHeaderBytes != old.maxHeaderBytes || fresh.maxHeaderCount != old.maxHeaderCount || fresh.uploadIdleTimeout != old.uploadIdleTimeout {
                kept.append("max_header_bytes/max_header_count/upload_idle_timeout")
                (fresh.maxHeaderBytes, fresh.maxHeaderCount, fresh.uploadIdleTimeout) = (old.maxHeaderBytes, old.maxHeaderCount, old.uploadIdleTimeout)
            }
            settings.replace(with: fresh)
            logger.notice("configuration reloaded", metadata: kept.isEmpty ? [:] : ["needs_restart": "\(kept.joined(separator: ", "))"])
        } catch {
            logger.error("the configuration does not load; the one in force stays", metadata: ["error": "\(error)"])
        }
        if rules.reload(force: true) {
            recordRuleFiles()
            worker.requestEvaluation()
        }
    }

    /// Keeps the texts of the rules files in force by hash, for the case pages.
    func recordRuleFiles() {
        let now = enforcement.clock.nowMillis()
        for file in rules.fileTexts() {
            do {
                try store.recordRuleFile(sha256: file.sha256, name: file.name, text: file.text, now: now)
            } catch {
                logger.error("cannot record a rules file", metadata: ["file": "\(file.name)", "error": "\(error)"])
            }
        }
    }
}

/// Polls the rules folder and loads it when it changed; a new set is evaluated at once.
struct RuleWatcher: Service {
    let rules: RuleBook
    let settings: LiveSettings
    let worker: IngestWorker
    let service: RegistryService

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: settings.current.rulesPoll)
                if Task.isCancelled { break }
                if rules.reload() {
                    service.recordRuleFiles()
                    worker.requestEvaluation()
                }
            }
        }
    }
}

/// SIGHUP reloads the configuration and the rules.
struct ReloadOnHangup: Service {
    let service: RegistryService

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                service.logger.notice("SIGHUP: reloading the configuration and the rules")
                service.reload()
            }
        }
    }
}

/// The first service to hear of a graceful shutdown: new requests get `503` from then on;
/// it waits for the uploads in flight (up to 5 s), then cuts the connections of those still
/// running (their bytes are synced and kept for a resume), before the HTTP server stops. A
/// watchdog ends the process 10 s after the signal whatever is still running: an ingest
/// not committed by then rolls back (its file stays queued for the next start).
struct Drain: Service {
    let draining: Draining
    let intake: LogIntake
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        draining.start()
        logger.notice("stopping: new requests are answered 503")
        let logger = self.logger
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 9.5)
            logger.warning("still busy 9.5 s after the stop signal: exiting; work not committed rolls back")
            _exit(0)
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while intake.uploadsInFlight > 0, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if intake.uploadsInFlight > 0 {
            let cut = draining.cutUploads()
            logger.notice("cut uploads still in flight; their bytes are kept for a resume", metadata: ["uploads": "\(cut)"])
            let cutDeadline = ContinuousClock.now + .seconds(2)
            while intake.uploadsInFlight > 0, ContinuousClock.now < cutDeadline { try? await Task.sleep(for: .milliseconds(20)) }
        }
    }
}
