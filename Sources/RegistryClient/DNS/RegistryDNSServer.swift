import Foundation
import Synchronization
import NIOCore
import NIOPosix

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

    public init(responder: DNSResponder, threads: Int = System.coreCount, refreshInterval: TimeAmount = .milliseconds(5)) {
        self.responder = responder
        self.refreshInterval = refreshInterval
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
    }

    /// Binds UDP and TCP on `host:port` (port 0 picks one) and returns the bound port.
    public func start(host: String, port: Int) throws -> Int {
        let responder = self.responder
        var boundPort = port
        var udpChannels: [Channel] = []
        for loop in group.makeIterator() {
            let channel = try DatagramBootstrap(group: loop)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(ChannelOptions.Types.SocketOption(level: .socket, name: NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
                .channelOption(.datagramVectorReadMessageCount, value: 16)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 1500))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(UDPQueryHandler(responder: responder)) }
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
                    try channel.pipeline.syncOperations.addHandler(TCPQueryHandler(responder: responder))
                }
            }
            .bind(host: host, port: boundPort).wait()
        channels = udpChannels + [tcp]
        let interval = Double(refreshInterval.nanoseconds) / 1e9
        let thread = Thread { [self] in
            while !stopping.load(ordering: .relaxed) {
                _ = try? responder.registry.refresh()
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

final class UDPQueryHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let responder: DNSResponder
    /// Reused for every answer (the handler runs on one event loop).
    private var scratch: [UInt8] = []
    /// Answers of one read batch share one buffer; each is sent as a slice of it.
    private var batch: ByteBuffer?

    init(responder: DNSResponder) {
        self.responder = responder
        scratch.reserveCapacity(1500)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        scratch.removeAll(keepingCapacity: true)
        let answered = envelope.data.withUnsafeReadableBytes { responder.answer($0, overUDP: true, into: &scratch) }
        guard answered else { return }
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

    init(responder: DNSResponder) { self.responder = responder }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        guard let reply = message.withUnsafeReadableBytes({ responder.answer($0, overUDP: false) }) else {
            context.close(promise: nil)
            return
        }
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
