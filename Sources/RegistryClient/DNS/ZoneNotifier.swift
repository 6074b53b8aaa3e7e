import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Tells the secondaries that the zone changed (RFC 1996 NOTIFY, over UDP): on each change,
/// a NOTIFY with the zone's SOA and the new serial goes to every target; one not answered
/// is sent again every 2 s, five times at most. A secondary then asks for the SOA and
/// transfers the zone. With a TSIG key, every NOTIFY is signed with it.
final class ZoneNotifier: Sendable {
    struct Pending: Sendable {
        var id: UInt16
        var tries: Int
        var due: NIODeadline
    }

    let targets: [SocketAddress]
    let zone: RegistryZone
    let serial: @Sendable () -> UInt32
    let key: TSIGKey?
    private let logger: Logger
    private let channel = Mutex<(any Channel)?>(nil)
    /// By target index: the NOTIFY still unanswered.
    private let pending = Mutex<[Int: Pending]>([:])
    static let maxTries = 5
    static let retryDelay = TimeAmount.seconds(2)

    init(targets: [SocketAddress], zone: RegistryZone, serial: @escaping @Sendable () -> UInt32, key: TSIGKey? = nil, logger: Logger) {
        self.targets = targets
        self.key = key
        self.zone = zone
        self.serial = serial
        self.logger = logger
    }

    /// Binds the socket the NOTIFYs leave from (an ephemeral port on every address) on
    /// `loop`, and sends every due NOTIFY from a task repeated there.
    func start(on loop: any EventLoop) async throws -> RepeatedTask {
        let channel = try await DatagramBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(NotifyAnswerHandler(notifier: self)) }
            }
            .bind(host: targets.contains { $0.protocol == .inet6 } ? "::" : "0.0.0.0", port: 0).get()
        self.channel.withLock { $0 = channel }
        return loop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { [self] _ in sendDue() }
    }

    func stop() {
        let channel = self.channel.withLock { c -> (any Channel)? in
            defer { c = nil }
            return c
        }
        channel?.close(promise: nil)
    }

    /// The zone changed: every target is notified anew.
    func changed() {
        let now = NIODeadline.now()
        pending.withLock { pending in
            for index in targets.indices { pending[index] = Pending(id: UInt16.random(in: 0...UInt16.max), tries: 0, due: now) }
        }
    }

    /// Sends the NOTIFYs that are due; gives up on a target after `maxTries`.
    func sendDue() {
        guard let channel = channel.withLock({ $0 }) else { return }
        let now = NIODeadline.now()
        let serial = self.serial()
        var sends: [(SocketAddress, UInt16)] = []
        pending.withLock { pending in
            for (index, entry) in pending where entry.due <= now {
                if entry.tries >= Self.maxTries {
                    logger.warning("secondary did not answer NOTIFY", metadata: ["secondary": "\(targets[index])", "tries": "\(entry.tries)"])
                    pending[index] = nil
                    continue
                }
                pending[index] = Pending(id: entry.id, tries: entry.tries + 1, due: now + Self.retryDelay)
                sends.append((targets[index], entry.id))
            }
        }
        for (target, id) in sends {
            var message = DNSMessage(id: id)
            message.opcode = DNSOpcode.notify
            message.authoritative = true
            message.questions = [DNSMessage.Question(name: zone.zone, type: DNSType.soa)]
            message.answers = [zone.soaRecord(serial: serial)]
            var bytes = message.encode()
            if let key {
                var signer = TSIG.Signer.request(key: key)
                bytes = signer.sign(bytes)
            }
            var buffer = channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: buffer), promise: nil)
        }
        if !sends.isEmpty { logger.debug("NOTIFY sent", metadata: ["serial": "\(serial)", "secondaries": "\(sends.count)"]) }
    }

    /// A secondary's answer: its NOTIFY is done.
    func answered(id: UInt16, from address: SocketAddress) {
        pending.withLock { pending in
            for (index, entry) in pending where entry.id == id && targets[index].ipAddress == address.ipAddress && targets[index].port == address.port {
                pending[index] = nil
            }
        }
    }
}

/// Reads the answers to NOTIFY (QR set, opcode NOTIFY) and hands their ids back.
private final class NotifyAnswerHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let notifier: ZoneNotifier

    init(notifier: ZoneNotifier) { self.notifier = notifier }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let bytes = envelope.data.getBytes(at: envelope.data.readerIndex, length: min(envelope.data.readableBytes, 12)), bytes.count == 12,
            bytes[2] & 0x80 != 0, (bytes[2] >> 3) & 0x0F == DNSOpcode.notify
        else { return }
        notifier.answered(id: UInt16(bytes[0]) << 8 | UInt16(bytes[1]), from: envelope.remoteAddress)
    }
}
