import CBatchSocket
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The registry zone over UDP and TCP, as a service of the process (swift-service-
/// lifecycle: `run` serves until cancelled or the process shuts down gracefully). UDP is
/// answered by `UDPBatchServer`: one thread per socket, the sockets sharing the port
/// (SO_REUSEPORT); TCP connections (RFC 1035 §4.2.2, a two-byte length per message) by
/// channel handlers on NIO's event loops, closed after 10 s idle. Queries are never
/// answered in Swift tasks: a DNS server must answer
/// whatever else the process does, and tasks wait for the shared concurrency pool (a test
/// that kept that pool busy delayed TCP answers past the client's timeout). For the same
/// reason a task scheduled on an event loop of its own folds database changes in every
/// `refreshInterval`, so a suspension shows at the next query; a refresh that fails is
/// logged and counted, and answers stay those of the last good state.
public final class RegistryDNSServer: Service, Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks a free port (`bind` tells which).
        public var port: Int
        public var threads: Int
        public var refreshInterval: Duration
        /// Secondaries sent a NOTIFY (RFC 1996) on every change (`--notify ADDR:PORT`).
        public var notify: [String] = []
        /// A network interface whose IPv4 UDP queries are answered through AF_XDP
        /// (`--xdp IFACE`, `XDPServer`); the sockets still serve the rest.
        public var xdpInterface: String?

        /// One thread per core the process may run on: the CPUs of its affinity mask (what
        /// `taskset` or a cpuset gives it), at most the cores NIO counts (cgroup quotas).
        public static var defaultThreads: Int {
            var mask = [UInt64](repeating: 0, count: 16)  // 1,024 CPUs
            let cpus = mask.withUnsafeMutableBytes { abuse_sched_getaffinity(0, UInt($0.count), $0.baseAddress) == 0 } ? mask.reduce(0) { $0 + $1.nonzeroBitCount } : 0
            return max(1, cpus > 0 ? min(cpus, System.coreCount) : System.coreCount)
        }

        /// A `--notify` target: an address (not a name) and a port.
        public static func notifyTarget(_ text: String) -> SocketAddress? {
            ListenAddress(text).flatMap { try? SocketAddress(ipAddress: $0.host, port: $0.port) }
        }
        /// Zone transfers (AXFR over TCP) to these clients; none when nil.
        public var transfer: ZoneTransfer?

        public init(host: String, port: Int, threads: Int = Configuration.defaultThreads, refreshInterval: Duration = .milliseconds(5), transfer: ZoneTransfer? = nil) {
            self.host = host
            self.port = port
            self.threads = max(1, threads)
            self.refreshInterval = refreshInterval
            self.transfer = transfer
        }
    }

    private struct Sockets: Sendable {
        var channels: [Channel]
        var udp: UDPBatchServer
        var xdp: XDPServer?
        var refresh: RepeatedTask
        var port: Int
        var notifying: RepeatedTask?
    }

    public let responder: DNSResponder
    public let configuration: Configuration
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    /// Runs the refresh, apart from the loops that answer.
    private let refreshLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let refreshQueue = DispatchQueue(label: "abuse-ingest.registry-refresh")
    private let refreshState = Mutex(false)
    private let sockets = Mutex<Sockets?>(nil)
    private let counters: [DNSServerCounters]
    private let refreshFailures = Atomic(0)
    /// The zone serial last seen by the refresh.
    private let lastSerial = Atomic<UInt32>(0)
    /// The AF_XDP interface's receive queues (`--xdp`; 0 without), each with its counters.
    private let xdpQueues: Int
    private let notifier: ZoneNotifier?

    public init(responder: DNSResponder, configuration: Configuration, logger: Logger = Logger(label: "abuse-ingest.dns")) {
        var responder = responder
        if let keys = configuration.transfer?.keys { responder.keys = keys }
        self.responder = responder
        self.configuration = configuration
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads)
        // One set of counters for TCP, one per UDP socket and one per AF_XDP queue: no
        // counter shared between cores.
        xdpQueues = configuration.xdpInterface.map(XDPServer.receiveQueues) ?? 0
        counters = (0..<(1 + configuration.threads + xdpQueues)).map { _ in DNSServerCounters() }
        let registry = responder.registry
        let targets = configuration.notify.compactMap(Configuration.notifyTarget)
        notifier =
            targets.isEmpty ? nil : ZoneNotifier(
                targets: targets, zone: responder.zone, serial: { [zone = responder.zone] in zone.zoneSerial(UInt32(truncatingIfNeeded: registry.serial)) },
                key: configuration.transfer?.keys.first,
                logger: logger)
    }

    /// What the sockets did so far.
    public var statistics: DNSServerStatistics {
        var total = counters.reduce(into: DNSServerStatistics()) { total, counter in
            let s = counter.snapshot
            total.received += s.received
            total.answered += s.answered
            total.dropped += s.dropped
            for i in total.answers.indices { total.answers[i] += s.answers[i] }
            for i in total.latency.indices { total.latency[i] += s.latency[i] }
            total.latencyNanos += s.latencyNanos
            for i in total.transfers.indices { total.transfers[i] += s.transfers[i] }
        }
        total.viaXDP = counters[(1 + configuration.threads)...].reduce(0) { $0 + $1.received.load(ordering: .relaxed) }
        total.refreshFailures = refreshFailures.load(ordering: .relaxed)
        return total
    }

    /// Binds UDP and TCP (once); returns the port.
    @discardableResult
    public func bind() async throws -> Int {
        if let bound = sockets.withLock({ $0 }) { return bound.port }
        let responder = self.responder
        var port = configuration.port
        // UDP: one thread per socket with batched system calls (`UDPBatchServer`).
        let tcpCounters = counters[0]
        let transfer = configuration.transfer
        let logger = self.logger
        // Port 0: the UDP sockets pick a free port, TCP takes the same one, which another
        // program may hold for TCP; then another port is tried (a few times).
        var attempt = 0
        var bound: (udp: UDPBatchServer, tcp: Channel)?
        while bound == nil {
            attempt += 1
            let udp = try UDPBatchServer(host: configuration.host, port: port, count: configuration.threads)
            do {
                let tcp = try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .serverChannelOption(.backlog, value: 256)
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .seconds(10)))
                            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(TCPFrameDecoder()))
                            try channel.pipeline.syncOperations.addHandler(
                                TCPQueryHandler(responder: responder, counters: tcpCounters, transfer: transfer, logger: logger))
                        }
                    }
                    .bind(host: configuration.host, port: udp.port).get()
                bound = (udp, tcp)
            } catch {
                udp.closeUnstarted()
                guard configuration.port == 0, attempt < 5 else { throw error }
            }
        }
        let (udp, tcp) = bound!
        port = udp.port
        var xdp: XDPServer?
        if let interface = configuration.xdpInterface {
            do {
                xdp = try XDPServer(interface: interface, queues: xdpQueues, host: configuration.host, port: port)
            } catch {
                udp.closeUnstarted()
                try? await tcp.close()
                throw error
            }
        }
        udp.start(responder: responder, counters: Array(counters[1...configuration.threads]))
        xdp?.start(responder: responder, counters: Array(counters[(1 + configuration.threads)...]))
        let interval = TimeAmount.nanoseconds(Int64(configuration.refreshInterval.components.seconds) * 1_000_000_000 + configuration.refreshInterval.components.attoseconds / 1_000_000_000)
        // The refresh itself runs on a queue, not on the loop: a PostgreSQL registry blocks
        // its thread for the query, which an event loop thread must never do.
        let loop = refreshLoop.next()
        let refresh = loop.scheduleRepeatedAsyncTask(initialDelay: interval, delay: interval) { [self] _ in
            let done = loop.makePromise(of: Void.self)
            refreshQueue.async {
                self.refreshOnce()
                done.succeed()
            }
            return done.futureResult
        }
        // The secondaries hear of the zone at once, then of every change.
        let notifying = try await notifier?.start(on: refreshLoop.next())
        notifier?.changed()
        lastSerial.store(responder.zone.zoneSerial(UInt32(truncatingIfNeeded: responder.registry.serial)), ordering: .relaxed)
        sockets.withLock { $0 = Sockets(channels: [tcp], udp: udp, xdp: xdp, refresh: refresh, port: port, notifying: notifying) }
        logger.info(
            "serving the registry zone",
            metadata: ["zone": "\(responder.zone.zone)", "listen": "\(configuration.host):\(port)", "xdp": "\(xdp.map { "\($0.interface), \($0.queues) queue(s)" } ?? "off")"])
        return port
    }

    /// Serves until the task is cancelled or the process shuts down gracefully; binds
    /// first when `bind` was not called. The sockets are closed when it returns.
    public func run() async throws {
        try await bind()
        guard let bound = sockets.withLock({ $0 }) else { return }
        await cancelWhenGracefulShutdown {
            // Until cancelled: the sockets and the refresh run on their event loops.
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        }
        bound.refresh.cancel()
        bound.notifying?.cancel()
        notifier?.stop()
        bound.xdp?.stop()
        bound.udp.stop()
        for channel in bound.channels { try? await channel.close() }
        try? await group.shutdownGracefully()
        try? await refreshLoop.shutdownGracefully()
        logger.info("stopped serving the registry zone")
    }

    /// Folds database changes in (on the refresh loop, every `refreshInterval`).
    private func refreshOnce() {
        do {
            let changed = try responder.registry.refresh()
            // A signed zone's serial also moves when its week turns (it is re-signed).
            let serial = responder.zone.zoneSerial(UInt32(truncatingIfNeeded: responder.registry.serial))
            let moved = lastSerial.exchange(serial, ordering: .relaxed) != serial
            if changed || moved { notifier?.changed() }
            if refreshState.withLock({ failing in defer { failing = false }; return failing }) {
                logger.notice("registry refresh works again: answers follow the database")
            }
        } catch {
            let failures = refreshFailures.wrappingAdd(1, ordering: .relaxed).newValue
            let wasFailing = refreshState.withLock { failing in defer { failing = true }; return failing }
            // Logged when it starts failing and every 1,000th failure after: answers are stale meanwhile.
            if !wasFailing || failures % 1000 == 0 {
                logger.error("cannot refresh the registry: answers may be stale", metadata: ["error": "\(error)", "failures": "\(failures)"])
            }
        }
    }
}
