import ArgumentParser
import Foundation
import Logging
import Primitives
import RegistryClient
import ServiceLifecycle

extension AbuseIngestCommand.Registry {
    struct ServeDNS: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve-dns",
            abstract: "Serve the registry zone over DNS (UDP and TCP) so that MTAs can ask.",
            discussion: """
                <reversed IPv4 octets>.ZONE or <32 reversed IPv6 nibbles>.ZONE, type A or TXT: 127.0.0.2 \
                active, 127.0.0.3 suspended, 127.0.0.4 revoked, NXDOMAIN unregistered; TXT \
                "v=reg1; status=…; registrant=…; case=…". SOA and NS at the apex, REFUSED outside the \
                zone, FORMERR for malformed queries; 2.0.0.127.ZONE is the RFC 5782 test entry. Answers \
                follow the database: a suspension shows at the next query. SIGTERM or SIGINT stops it.
                Postfix: smtpd_client_restrictions = permit_dnswl_client ZONE=127.0.0.2, reject
                """
        )

        @OptionGroup var global: GlobalOptions
        @Option(help: "Address and port to listen on (UDP and TCP), e.g. 127.0.0.1:5353 or [::1]:53.") var listen: String
        @Option(help: "The zone served, e.g. reg.example.org.") var zone: String
        @Option(help: "TTL of answers, seconds.") var ttl: UInt32 = 300
        @Option(name: .customLong("negative-ttl"), help: "TTL of NXDOMAIN answers (the SOA minimum), seconds.") var negativeTTL: UInt32 = 60
        @Option(
            name: .customLong("ns"),
            help: "Name server for the apex NS set: NAME or NAME=ADDR, repeatable (default ns.ZONE; the first is the SOA's MNAME; an in-zone name is served with its address).")
        var nameServers: [String] = []
        @Option(name: .customLong("allow-transfer"), help: "Allow zone transfers (AXFR and IXFR, over TCP) to ADDR or ADDR/PREFIX; repeatable. None by default.")
        var allowTransfer: [String] = []
        @Option(name: .customLong("notify"), help: "Send NOTIFY (RFC 1996) to this secondary, ADDR:PORT, at start and on every change; repeatable.")
        var notify: [String] = []
        @Option(
            name: .customLong("tsig-key"),
            help: "TSIG key file (BIND syntax, hmac-sha256, as tsig-keygen writes it): transfers must be signed with a key in it, answers and NOTIFYs are signed.")
        var tsigKey: String?
        @Option(
            name: .customLong("dnssec-key"),
            help: "DNSSEC key file (registry dnssec keygen): answers to queries with the DO bit are signed, with compact denial of existence.")
        var dnssecKey: String?
        @Option(name: .customLong("ixfr-history"), help: "IXFR sends differences from serials at most this many registry changes behind; the whole zone otherwise.")
        var ixfrHistory: UInt32 = ZoneTransfer.defaultHistory
        @Option(help: "UDP answering threads (default: one per core the process may run on, as taskset or a cpuset allow).") var threads: Int = RegistryDNSServer.Configuration.defaultThreads
        @Option(
            name: .customLong("xdp"),
            help: ArgumentHelp(
                "Answer the IPv4 UDP queries arriving on this network interface through AF_XDP, past the kernel's IP and UDP layers (one thread per receive queue); the sockets still serve the rest.",
                discussion: """
                    Needs root (CAP_NET_ADMIN and CAP_BPF) and Linux 5.10 or later; no other XDP program may be attached to the interface. \
                    --listen must be an IPv4 address of the interface, or 0.0.0.0. On the loopback interface (for tests and benchmarks) the \
                    answers re-enter the kernel without a route, which it accepts only with net.ipv4.conf.lo.route_localnet=1 and \
                    net.ipv4.conf.lo.accept_local=1.
                    """,
                valueName: "iface"))
        var xdp: String?

        func validate() throws {
            guard ListenAddress(listen) != nil else { throw ValidationError("--listen '\(listen)' must be HOST:PORT, e.g. 127.0.0.1:5353") }
            guard DNSName(zone) != nil, !zone.isEmpty, zone != "." else { throw ValidationError("--zone '\(zone)' is not a domain name") }
            for ns in nameServers where NameServer.parse(ns) == nil { throw ValidationError("--ns '\(ns)' must be NAME or NAME=ADDR") }
            for network in allowTransfer where ZoneTransfer.network(network) == nil {
                throw ValidationError("--allow-transfer '\(network)' must be ADDR or ADDR/PREFIX")
            }
            for target in notify where RegistryDNSServer.Configuration.notifyTarget(target) == nil {
                throw ValidationError("--notify '\(target)' must be ADDR:PORT (an address, not a name), e.g. 192.0.2.53:53")
            }
            guard threads >= 1, threads <= 64 else { throw ValidationError("--threads must be 1…64") }
            if xdp != nil, let address = ListenAddress(listen), address.host.contains(":") {
                throw ValidationError("--xdp answers IPv4 only: --listen an IPv4 address (or 0.0.0.0)")
            }
            if tsigKey != nil, allowTransfer.isEmpty { throw ValidationError("--tsig-key needs --allow-transfer: it signs zone transfers") }
        }

        func run() async throws {
            let address = ListenAddress(listen)!
            let keys: [TSIGKey]
            do {
                keys = try tsigKey.map { path throws(TSIGKey.FileError) in try TSIGKey.load(path: path) } ?? []
            } catch {
                Terminal.reportError("--tsig-key: \(error.description)")
                throw ExitStatus.usage
            }
            let store = try global.registryStore()
            let registry = try LiveRegistry(store: store)
            let servers = NameServer.list(nameServers, zone: DNSName(zone)!)
            var served = RegistryZone(zone: DNSName(zone)!, ttl: ttl, negativeTTL: negativeTTL, nameServers: servers)
            if let dnssecKey {
                let key: DNSSECKey
                do {
                    key = try DNSSECKey.load(path: dnssecKey)
                } catch {
                    Terminal.reportError("--dnssec-key: \(error.description)")
                    throw ExitStatus.usage
                }
                guard let bound = key.bound(to: served.zone) else {
                    Terminal.reportError("--dnssec-key \(dnssecKey) is a key for \(key.zone), not \(served.zone)")
                    throw ExitStatus.usage
                }
                served.signer = ZoneSigner(key: bound)
            }
            let responder = DNSResponder(zone: served, registry: registry, clock: { WallClock.system.nowMillis() })
            let logger = Logger(label: "abuse-ingest.dns")
            var configuration = RegistryDNSServer.Configuration(host: address.host, port: address.port, threads: threads)
            configuration.notify = notify
            configuration.xdpInterface = xdp
            if !allowTransfer.isEmpty {
                configuration.transfer = .of(
                    store, zone: served.zone, ttl: ttl, negativeTTL: negativeTTL, nameServers: servers, allowed: allowTransfer.compactMap(ZoneTransfer.network),
                    keys: keys, history: ixfrHistory, signer: served.signer)
            }
            let server = RegistryDNSServer(responder: responder, configuration: configuration, logger: logger)
            let port: Int
            do {
                port = try await server.bind()
            } catch let error as XDPSetupError {
                Terminal.reportError(error.description)
                throw ExitStatus.usage
            }
            Terminal.error("abuse-ingest: serving \(served.zone) on \(address.host):\(port) (UDP and TCP), \(registry.networkCount) networks")
            let services = ServiceGroup(configuration: .init(services: [.init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await services.run()
        }
    }
}
