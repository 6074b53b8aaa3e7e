import Foundation
import NIOCore
import NIOPosix
import Primitives
import Synchronization

/// Registration statuses from a remote registry zone (FORMATS.md §4), for deployments
/// where the registry runs elsewhere. Answers are cached for their TTL, NXDOMAIN for the
/// zone's negative TTL (RFC 2308); queries time out and are retried, a truncated answer is
/// asked again over TCP, at most `maxConcurrent` queries are in flight. An error code
/// (`127.255.255.0/24`), a timeout or a server failure gives `unknown`, never `unregistered`.
public final class DNSRegistrationLookup: RegistrationLookup, Sendable {
    public struct Configuration: Sendable {
        public var server: SocketAddress
        public var zone: DNSName
        public var timeout: TimeAmount = .seconds(2)
        public var retries = 2
        public var maxConcurrent = 64
        public var cacheCapacity = 100_000
        /// Used when an NXDOMAIN carries no SOA.
        public var defaultNegativeTTL: UInt32 = 60

        public init(server: SocketAddress, zone: DNSName) {
            self.server = server
            self.zone = zone
        }

        /// A zone on the server at `host` (an address) and `port`.
        public init(host: String, port: Int, zone: DNSName) throws {
            self.init(server: try SocketAddress(ipAddress: host, port: port), zone: zone)
        }
    }

    /// Counters for tests and operators.
    public struct Statistics: Sendable, Equatable {
        public var queriesSent = 0
        public var cacheHits = 0
        public var timeouts = 0
        public var tcpFallbacks = 0
        public var errors = 0
    }

    private struct CacheEntry {
        var state: RegistrationState
        var expires: NIODeadline
    }

    public let configuration: Configuration
    private let zone: RegistryZone
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let pending = PendingQueries()
    private let cache: Mutex<[IPAddress: CacheEntry]>
    private let stats = Mutex(Statistics())
    private let limiter: ConcurrencyLimiter

    public init(configuration: Configuration) throws {
        self.configuration = configuration
        zone = RegistryZone(zone: configuration.zone)
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pending = self.pending
        cache = Mutex([:])
        limiter = ConcurrencyLimiter(limit: configuration.maxConcurrent)
        let server = configuration.server
        let bindHost = server.protocol == .inet6 ? "::" : "0.0.0.0"
        channel = try DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ResponseHandler(server: server, pending: pending))
                }
            }
            .bind(host: bindHost, port: 0).wait()
    }

    deinit {
        channel.close(promise: nil)
        // Never blocks: the last reference may go away on the event loop itself.
        group.shutdownGracefully { _ in }
    }

    public var statistics: Statistics { stats.withLock { $0 } }

    public func state(of ip: IPAddress, at time: Int64) async -> RegistrationState {
        let now = NIODeadline.now()
        if let hit = cache.withLock({ $0[ip] }), hit.expires > now {
            stats.withLock { $0.cacheHits += 1 }
            return hit.state
        }
        return await limiter.withSlot { await self.resolve(ip) }
    }

    /// TXT first (status, registrant, case); a zone that has no TXT for the name is asked
    /// for the A record.
    private func resolve(_ ip: IPAddress) async -> RegistrationState {
        for type in [DNSType.txt, DNSType.a] {
            let question = DNSMessage.Question(name: zone.queryName(for: ip), type: type)
            guard let response = await exchange(question) else { return .unknown }
            if let state = interpret(response, ip: ip) { return state }
        }
        stats.withLock { $0.errors += 1 }
        return .unknown
    }

    /// One question answered over UDP (retried on timeout), or over TCP when truncated.
    private func exchange(_ question: DNSMessage.Question) async -> DNSMessage? {
        for _ in 0...configuration.retries {
            do {
                var response = try await exchangeUDP(question)
                if response.truncated {
                    stats.withLock { $0.tcpFallbacks += 1 }
                    response = try await exchangeTCP(question)
                }
                return response
            } catch is TimeoutError {
                stats.withLock { $0.timeouts += 1 }
            } catch {
                stats.withLock { $0.errors += 1 }
                return nil
            }
        }
        return nil
    }

    struct TimeoutError: Error {}
    struct ProtocolError: Error {}

    private func query(_ question: DNSMessage.Question, id: UInt16) -> [UInt8] {
        var message = DNSMessage(id: id)
        message.recursionDesired = false
        message.questions = [question]
        message.edns = DNSMessage.EDNS(udpPayloadSize: 1232)
        return message.encode()
    }

    private func exchangeUDP(_ question: DNSMessage.Question) async throws -> DNSMessage {
        let promise = channel.eventLoop.makePromise(of: DNSMessage.self)
        let id = pending.register(promise)
        let bytes = query(question, id: id)
        stats.withLock { $0.queriesSent += 1 }
        let pending = self.pending
        let timeout = channel.eventLoop.scheduleTask(in: configuration.timeout) {
            pending.take(id)?.fail(TimeoutError())
        }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: configuration.server, data: buffer), promise: nil)
        defer { timeout.cancel() }
        let response = try await promise.futureResult.get()
        guard response.questions.first?.name == question.name, response.questions.first?.type == question.type else { throw ProtocolError() }
        return response
    }

    private func exchangeTCP(_ question: DNSMessage.Question) async throws -> DNSMessage {
        let promise = group.next().makePromise(of: DNSMessage.self)
        let id = UInt16.random(in: 0...UInt16.max)
        let bytes = query(question, id: id)
        let connection = try await ClientBootstrap(group: group)
            .connectTimeout(configuration.timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(TCPFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(TCPResponseHandler(promise: promise))
                }
            }
            .connect(to: configuration.server).get()
        let timeout = connection.eventLoop.scheduleTask(in: configuration.timeout) { promise.fail(TimeoutError()) }
        var buffer = connection.allocator.buffer(capacity: bytes.count + 2)
        buffer.writeInteger(UInt16(bytes.count))
        buffer.writeBytes(bytes)
        connection.writeAndFlush(buffer, promise: nil)
        defer {
            timeout.cancel()
            connection.close(promise: nil)
        }
        let response = try await promise.futureResult.get()
        guard response.id == id, response.questions.first?.name == question.name else { throw ProtocolError() }
        return response
    }

    /// Maps an answer to a state, caching what may be cached; nil when the answer holds
    /// nothing usable of the asked type (NODATA).
    private func interpret(_ response: DNSMessage, ip: IPAddress) -> RegistrationState? {
        let now = NIODeadline.now()
        switch response.rcode {
        case DNSResponseCode.nameError:
            var ttl = configuration.defaultNegativeTTL
            for record in response.authority {
                if case .soa(_, _, _, _, _, _, let minimum) = record.data { ttl = min(record.ttl, minimum) }
            }
            store(.unregistered, for: ip, ttl: ttl, now: now)
            return .unregistered
        case DNSResponseCode.noError:
            break
        default:
            stats.withLock { $0.errors += 1 }
            return .unknown
        }
        // TXT answers carry the status; an A answer (asked for ANY) is read too.
        var state: RegistrationState?
        var ttl = UInt32.max
        for record in response.answers {
            switch record.data {
            case .txt(let strings):
                let text = String(decoding: strings.joined(), as: UTF8.self)
                if let parsed = Self.parseTXT(text) {
                    state = parsed
                    ttl = min(ttl, record.ttl)
                }
            case .a(let value):
                let bytes = (UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF))
                if bytes.0 == 127, bytes.1 == 255, bytes.2 == 255 {
                    stats.withLock { $0.errors += 1 }
                    return .unknown  // an error code, never a status
                }
                if state == nil, let status = RegistrationStatus(dnsAnswer: bytes.0, bytes.1, bytes.2, bytes.3) {
                    state = RegistrationState(status: status)
                    ttl = min(ttl, record.ttl)
                }
            default:
                continue
            }
        }
        guard let state else { return nil }
        store(state, for: ip, ttl: ttl, now: now)
        return state
    }

    /// `v=reg1; status=suspended; registrant=R-000200; case=C-2026-000042`.
    static func parseTXT(_ text: String) -> RegistrationState? {
        var fields: [String: String] = [:]
        for part in text.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2 { fields[pair[0]] = pair[1] }
        }
        guard fields["v"] == "reg1", let raw = fields["status"], let status = RegistrationStatus(rawValue: raw),
            RegistrationStatus.recordable.contains(status)
        else { return nil }
        return RegistrationState(status: status, registrant: fields["registrant"], caseID: fields["case"])
    }

    private func store(_ state: RegistrationState, for ip: IPAddress, ttl: UInt32, now: NIODeadline) {
        guard ttl > 0 else { return }
        cache.withLock { cache in
            if cache.count >= configuration.cacheCapacity {
                // Drop expired entries; if none, drop an arbitrary half (bounded memory).
                cache = cache.filter { $0.value.expires > now }
                if cache.count >= configuration.cacheCapacity { cache = Dictionary(uniqueKeysWithValues: cache.prefix(cache.count / 2).map { ($0.key, $0.value) }) }
            }
            cache[ip] = CacheEntry(state: state, expires: now + .seconds(Int64(min(ttl, 86_400))))
        }
    }
}

/// Queries waiting for their answer, by message id.
final class PendingQueries: Sendable {
    private let table = Mutex<[UInt16: EventLoopPromise<DNSMessage>]>([:])

    /// Registers `promise` under a random id not in use and returns the id.
    func register(_ promise: EventLoopPromise<DNSMessage>) -> UInt16 {
        table.withLock { table in
            var id = UInt16.random(in: 0...UInt16.max)
            while table[id] != nil { id = UInt16.random(in: 0...UInt16.max) }
            table[id] = promise
            return id
        }
    }

    func take(_ id: UInt16) -> EventLoopPromise<DNSMessage>? {
        table.withLock { $0.removeValue(forKey: id) }
    }
}

/// Completes the pending query whose id an answer from the server carries; anything from
/// another address, or that does not parse, is dropped.
private final class ResponseHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let server: SocketAddress
    let pending: PendingQueries

    init(server: SocketAddress, pending: PendingQueries) {
        self.server = server
        self.pending = pending
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress == server else { return }
        let message = try? envelope.data.withUnsafeReadableBytes { bytes throws(DNSWireError) in try DNSMessage(parsing: bytes) }
        guard let message, message.isResponse, let promise = pending.take(message.id) else { return }
        promise.succeed(message)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {}
}

private final class TCPResponseHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<DNSMessage>

    init(promise: EventLoopPromise<DNSMessage>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            let message = try buffer.withUnsafeReadableBytes { bytes throws(DNSWireError) in try DNSMessage(parsing: bytes) }
            promise.succeed(message)
        } catch {
            promise.fail(error)
        }
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
