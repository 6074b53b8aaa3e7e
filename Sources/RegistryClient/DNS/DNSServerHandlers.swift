import Foundation
import Logging
import NIOCore
import Synchronization

/// What a server's sockets did, counted per event loop (no counter shared between cores on
/// the hot path) and summed when read.
public struct DNSServerStatistics: Sendable, Equatable {
    /// Datagrams and TCP messages received.
    public var received = 0
    /// Answers sent.
    public var answered = 0
    /// Messages dropped unanswered (responses, runts).
    public var dropped = 0
    /// Datagrams taken off the interface through AF_XDP (`--xdp`), part of `received`.
    public var viaXDP = 0
    /// Failed attempts to fold database changes in (answers are stale while it fails).
    public var refreshFailures = 0
    /// Answers by what they told, indexed by `DNSAnswerKind.index`.
    public var answers = [Int](repeating: 0, count: DNSAnswerKind.allCases.count)
    /// Time from a query's arrival in its handler to its answer written, counted per bucket
    /// of `latencyBounds` (nanoseconds, upper bounds) and one more bucket above the last.
    public var latency = [Int](repeating: 0, count: DNSServerStatistics.latencyBounds.count + 1)
    public var latencyNanos = 0
    /// Zone transfers by outcome (`ZoneTransfer.Outcome`).
    public var transfers = [Int](repeating: 0, count: ZoneTransfer.Outcome.allCases.count)

    public static let latencyBounds = [1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000, 10_000_000]

    public init() {}

    /// The count of one kind of answer.
    public subscript(kind: DNSAnswerKind) -> Int { answers[kind.index] }

    /// The count of transfers with one outcome.
    public subscript(transfer outcome: ZoneTransfer.Outcome) -> Int { transfers[outcome.index] }
}

/// One event loop's counters.
final class DNSServerCounters: Sendable {
    let received = Atomic(0)
    let answered = Atomic(0)
    let dropped = Atomic(0)
    /// Zone transfers by outcome (rare: a lock is fine).
    private let transfers = Mutex([Int](repeating: 0, count: ZoneTransfer.Outcome.allCases.count))

    func transferred(_ outcome: ZoneTransfer.Outcome) { transfers.withLock { $0[outcome.index] += 1 } }
    /// Answers by kind and latency buckets: one lock per event loop, taken by that loop
    /// only (and by a scrape), so never contended on the hot path.
    private struct Detail {
        var kinds = [Int](repeating: 0, count: DNSAnswerKind.allCases.count)
        var buckets = [Int](repeating: 0, count: DNSServerStatistics.latencyBounds.count + 1)
        var nanos = 0
    }
    private let detail = Mutex(Detail())

    /// One answer sent: what it told and how long it took.
    @inline(__always)
    func answered(_ reply: UnsafeRawBufferPointer, since start: ContinuousClock.Instant) {
        answered.add(1, ordering: .relaxed)
        let kind = DNSAnswerKind.classify(reply).index
        let elapsed = ContinuousClock.now - start
        let ns = Int(elapsed.components.seconds) * 1_000_000_000 + Int(elapsed.components.attoseconds / 1_000_000_000)
        var bucket = 0
        let bounds = DNSServerStatistics.latencyBounds
        while bucket < bounds.count, ns > bounds[bucket] { bucket += 1 }
        detail.withLock { d in
            d.kinds[kind] += 1
            d.buckets[bucket] += 1
            d.nanos += ns
        }
    }

    /// A batch of answers, by kind (`DNSAnswerKind.index`), each counted with the time the
    /// batch took from its arrival (one clock reading and one lock per batch).
    func answered(kinds: UnsafeBufferPointer<UInt8>, nanos: Int) {
        guard !kinds.isEmpty else { return }
        answered.add(kinds.count, ordering: .relaxed)
        var bucket = 0
        let bounds = DNSServerStatistics.latencyBounds
        while bucket < bounds.count, nanos > bounds[bucket] { bucket += 1 }
        detail.withLock { d in
            for kind in kinds { d.kinds[Int(kind)] += 1 }
            d.buckets[bucket] += kinds.count
            d.nanos += nanos * kinds.count
        }
    }

    var snapshot: DNSServerStatistics {
        var s = DNSServerStatistics()
        s.received = received.load(ordering: .relaxed)
        s.answered = answered.load(ordering: .relaxed)
        s.dropped = dropped.load(ordering: .relaxed)
        s.transfers = transfers.withLock { $0 }
        detail.withLock { d in
            s.answers = d.kinds
            s.latency = d.buckets
            s.latencyNanos = d.nanos
        }
        return s
    }
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

/// Answers the DNS messages of one TCP connection; closes it on a message that gets no
/// answer, an error, or 10 s without a message (`IdleStateHandler`). An AXFR query gets
/// the whole zone from an allowed client (built off the event loop), REFUSED otherwise.
final class TCPQueryHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let responder: DNSResponder
    let counters: DNSServerCounters
    let transfer: ZoneTransfer?
    let logger: Logger
    /// Transfers running on this connection.
    private let transfers = Atomic(0)

    init(responder: DNSResponder, counters: DNSServerCounters, transfer: ZoneTransfer?, logger: Logger) {
        self.responder = responder
        self.counters = counters
        self.transfer = transfer
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let start = ContinuousClock.now
        let message = unwrapInboundIn(data)
        counters.received.add(1, ordering: .relaxed)
        if Self.isTransfer(message), let query = message.withUnsafeReadableBytes({ try? DNSMessage(parsing: $0) }) {
            transferZone(query, raw: message, channel: context.channel)
            return
        }
        guard let reply = message.withUnsafeReadableBytes({ responder.answer($0, overUDP: false) }) else {
            counters.dropped.add(1, ordering: .relaxed)
            context.close(promise: nil)
            return
        }
        reply.withUnsafeBytes { counters.answered($0, since: start) }
        context.writeAndFlush(wrapOutboundOut(Self.framed(reply, allocator: context.channel.allocator)), promise: nil)
    }

    /// Whether a message's one question asks for AXFR or IXFR (read off the bytes: the
    /// question name's labels, then the type).
    static func isTransfer(_ message: ByteBuffer) -> Bool {
        message.withUnsafeReadableBytes { bytes in
            guard bytes.count >= 17, bytes[2] & 0x80 == 0, bytes[4] == 0, bytes[5] == 1 else { return false }
            var i = 12
            while i < bytes.count, bytes[i] != 0 {
                guard bytes[i] & 0xC0 == 0 else { return false }
                i += Int(bytes[i]) + 1
            }
            guard i + 2 < bytes.count else { return false }
            let type = UInt16(bytes[i + 1]) << 8 | UInt16(bytes[i + 2])
            return type == DNSType.axfr || type == DNSType.ixfr
        }
    }

    static func framed(_ reply: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: reply.count + 2)
        buffer.writeInteger(UInt16(reply.count))
        buffer.writeBytes(reply)
        return buffer
    }

    private func transferZone(_ query: DNSMessage, raw: ByteBuffer, channel: any Channel) {
        let peer = channel.remoteAddress
        let client = peer?.description ?? "?"
        let allocator = channel.allocator
        guard let transfer, transfer.permits(peer), query.questions.first?.name == responder.zone.zone else {
            counters.transferred(.refused)
            logger.notice("zone transfer refused", metadata: ["client": "\(client)", "reason": "not an allowed address"])
            channel.writeAndFlush(Self.framed(ZoneTransfer.refusal(to: query), allocator: allocator), promise: nil)
            return
        }
        var signer: TSIG.Signer?
        switch raw.withUnsafeReadableBytes({ TSIG.check($0, keys: transfer.keys) }) {
        case .unsigned where transfer.keys.isEmpty:
            signer = nil
        case .unsigned:
            counters.transferred(.refused)
            logger.notice("zone transfer refused", metadata: ["client": "\(client)", "reason": "not signed (TSIG required)"])
            channel.writeAndFlush(Self.framed(ZoneTransfer.refusal(to: query), allocator: allocator), promise: nil)
            return
        case .valid(let valid):
            signer = valid
        case .invalid(let code, let reply):
            counters.transferred(.refused)
            logger.notice("zone transfer refused", metadata: ["client": "\(client)", "reason": "TSIG error \(code)"])
            channel.writeAndFlush(Self.framed(reply, allocator: allocator), promise: nil)
            return
        case .malformed:
            var failure = ZoneTransfer.response(to: query, withQuestion: true)
            failure.rcode = DNSResponseCode.formatError
            channel.writeAndFlush(Self.framed(failure.encode(), allocator: allocator), promise: nil)
            return
        }
        let logger = self.logger
        let counters = self.counters
        let firstSigner = signer
        transfers.add(1, ordering: .relaxed)
        // The registry is read off the event loop: the loop goes on answering meanwhile.
        DispatchQueue.global().async { [self] in
            defer { transfers.subtract(1, ordering: .relaxed) }
            // Every message signed, each MAC chained to the one before (RFC 8945 §5.3.1).
            var signer = firstSigner
            func signed(_ message: [UInt8]) -> [UInt8] {
                guard signer != nil else { return message }
                return signer!.sign(message)
            }
            do {
                // Each message written as it is made; every 16th waits until written, so a
                // slow secondary holds back the zone's encoding, not memory. The transfer
                // counts as running until the last is written: a secondary still reading
                // it is not idle.
                var pending = 0
                var last: EventLoopFuture<Void>?
                let (kind, records, messages) = try transfer.answer(query) { message in
                    let written = channel.writeAndFlush(Self.framed(signed(message), allocator: allocator))
                    last = written
                    pending += 1
                    if pending % 16 == 0 { try written.wait() }
                }
                try last?.wait()
                counters.answered.add(1, ordering: .relaxed)
                counters.transferred(ZoneTransfer.Outcome(kind))
                logger.info(
                    "zone transferred",
                    metadata: [
                        "client": "\(client)", "kind": "\(kind.rawValue)", "records": "\(records)", "messages": "\(messages)",
                        "tsig": "\(signer.map { "\($0.key.name)" } ?? "none")",
                    ])
            } catch {
                logger.error("zone transfer failed", metadata: ["error": "\(error)"])
                var failure = ZoneTransfer.response(to: query, withQuestion: true)
                failure.rcode = DNSResponseCode.serverFailure
                channel.writeAndFlush(Self.framed(signed(failure.encode()), allocator: allocator), promise: nil)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A secondary reads a long transfer without writing: not idle while one runs.
        if event is IdleStateHandler.IdleStateEvent, transfers.load(ordering: .relaxed) == 0 { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}
