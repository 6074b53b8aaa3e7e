import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The registry zone over UDP and TCP (SwiftNIO). One UDP socket per core shares the port
/// (SO_REUSEPORT); TCP messages carry a two-byte length (RFC 1035 §4.2.2), connections idle
/// for 10 s are closed. A background thread folds database changes in every `refreshInterval`.
public final class RegistryDNSServer: @unchecked Sendable {
    public let responder: DNSResponder
    private let group: MultiThreadedEventLoopGroup
    private var channels: [Channel] = []
    private let refreshInterval: TimeAmount
    private let stopping = Atomic(false)
    private var refresher: Thread?
    private let counters = Mutex<[DNSServerCounters]>([])

    /// What the sockets did so far, summed over the event loops.
    public var statistics: DNSServerStatistics {
        var total = counters.withLock { $0 }.reduce(into: DNSServerStatistics()) { total, counter in
            let s = counter.snapshot
            total.received += s.received
            total.answered += s.answered
            total.dropped += s.dropped
        }
        total.refreshFailures = refreshFailures.load(ordering: .relaxed)
        return total
    }

    private let logger: Logger
    private let refreshFailures = Atomic(0)

    public init(responder: DNSResponder, threads: Int = System.coreCount, refreshInterval: TimeAmount = .milliseconds(5), logger: Logger = Logger(label: "abuse-ingest.dns")) {
        self.responder = responder
        self.refreshInterval = refreshInterval
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
    }

    /// Binds UDP and TCP on `host:port` (port 0 picks one) and returns the bound port.
    public func start(host: String, port: Int) throws -> Int {
        let responder = self.responder
        var boundPort = port
        var udpChannels: [Channel] = []
        let tcpCounters = DNSServerCounters()
        counters.withLock { $0 = [tcpCounters] }
        for loop in group.makeIterator() {
            let loopCounters = DNSServerCounters()
            counters.withLock { $0.append(loopCounters) }
            let channel = try DatagramBootstrap(group: loop)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(ChannelOptions.Types.SocketOption(level: .socket, name: NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
                .channelOption(.datagramVectorReadMessageCount, value: 16)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 1500))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(UDPQueryHandler(responder: responder, counters: loopCounters)) }
                }
                .bind(host: host, port: boundPort).wait()
            if boundPort == 0 { boundPort = channel.localAddress?.port ?? 0 }
            udpChannels.append(channel)
        }
        let tcp = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .seconds(10)))
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(TCPFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(TCPQueryHandler(responder: responder, counters: tcpCounters))
                }
            }
            .bind(host: host, port: boundPort).wait()
        channels = udpChannels + [tcp]
        let interval = Double(refreshInterval.nanoseconds) / 1e9
        let thread = Thread { [self] in
            var failing = false
            while !stopping.load(ordering: .relaxed) {
                do {
                    try responder.registry.refresh()
                    if failing {
                        logger.notice("registry refresh works again: answers follow the database")
                        failing = false
                    }
                } catch {
                    let failures = refreshFailures.wrappingAdd(1, ordering: .relaxed).newValue
                    // Logged when it starts failing and every 1,000th failure after: answers are stale meanwhile.
                    if !failing || failures % 1000 == 0 {
                        logger.error("cannot refresh the registry: answers may be stale", metadata: ["error": "\(error)", "failures": "\(failures)"])
                    }
                    failing = true
                }
                Thread.sleep(forTimeInterval: interval)
            }
        }
        thread.name = "abuse-ingest.registry-refresh"
        thread.start()
        refresher = thread
        return boundPort
    }

    /// Blocks until the channels close.
    public func wait() throws {
        for channel in channels { try channel.closeFuture.wait() }
    }

    public func stop() {
        stopping.store(true, ordering: .relaxed)
        for channel in channels { channel.close(promise: nil) }
        try? group.syncShutdownGracefully()
    }
}

/// What a server's sockets did, counted per event loop (no counter shared between cores on
/// the hot path) and summed when read.
public struct DNSServerStatistics: Sendable, Equatable {
    /// Datagrams and TCP messages received.
    public var received = 0
    /// Answers sent.
    public var answered = 0
    /// Messages dropped unanswered (responses, runts).
    public var dropped = 0
    /// Failed attempts to fold database changes in (answers are stale while it fails).
    public var refreshFailures = 0
}

/// One event loop's counters.
final class DNSServerCounters: Sendable {
    let received = Atomic(0)
    let answered = Atomic(0)
    let dropped = Atomic(0)

    var snapshot: DNSServerStatistics {
        DNSServerStatistics(
            received: received.load(ordering: .relaxed), answered: answered.load(ordering: .relaxed), dropped: dropped.load(ordering: .relaxed))
    }
}

final class UDPQueryHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let responder: DNSResponder
    let counters: DNSServerCounters
    /// Reused for every answer (the handler runs on one event loop).
    private var scratch: [UInt8] = []
    /// Answers of one read batch share one buffer; each is sent as a slice of it.
    private var batch: ByteBuffer?

    init(responder: DNSResponder, counters: DNSServerCounters) {
        self.responder = responder
        self.counters = counters
        scratch.reserveCapacity(1500)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        counters.received.add(1, ordering: .relaxed)
        scratch.removeAll(keepingCapacity: true)
        let answered = envelope.data.withUnsafeReadableBytes { responder.answer($0, overUDP: true, into: &scratch) }
        guard answered else {
            counters.dropped.add(1, ordering: .relaxed)
            return
        }
        counters.answered.add(1, ordering: .relaxed)
        if batch == nil || batch!.writableBytes < scratch.count {
            batch = context.channel.allocator.buffer(capacity: max(16 * 1024, scratch.count))
        }
        let start = batch!.writerIndex
        batch!.writeBytes(scratch)
        let reply = batch!.getSlice(at: start, length: scratch.count)!
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: reply)), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        batch = nil
    }

    /// A send or receive error on one datagram never closes the server's socket.
    func errorCaught(context: ChannelHandlerContext, error: Error) {}
}

/// Splits a TCP stream into DNS messages by their two-byte length.
struct TCPFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) else { return .needMoreData }
        guard buffer.readableBytes >= 2 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        let message = buffer.readSlice(length: Int(length))!
        context.fireChannelRead(wrapInboundOut(message))
        return .continue
    }
}

final class TCPQueryHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let responder: DNSResponder
    let counters: DNSServerCounters

    init(responder: DNSResponder, counters: DNSServerCounters) {
        self.responder = responder
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        counters.received.add(1, ordering: .relaxed)
        guard let reply = message.withUnsafeReadableBytes({ responder.answer($0, overUDP: false) }) else {
            counters.dropped.add(1, ordering: .relaxed)
            context.close(promise: nil)
            return
        }
        counters.answered.add(1, ordering: .relaxed)
        var buffer = context.channel.allocator.buffer(capacity: reply.count + 2)
        buffer.writeInteger(UInt16(reply.count))
        buffer.writeBytes(reply)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}
