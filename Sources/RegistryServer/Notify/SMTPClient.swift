import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Primitives

/// Submits one message to a relay over SMTP (RFC 5321), on SwiftNIO: EHLO, STARTTLS when
/// the relay offers it (then EHLO again), AUTH PLAIN or LOGIN when a user name is set (only
/// over TLS, or to a relay on loopback), MAIL, RCPT, DATA with dot-stuffing, QUIT. Every
/// reply is read with a timeout and bounded in size.
struct SMTPClient: Sendable {
    /// Why a message was not taken. `isPermanent` decides between failed and deferred.
    enum Failure: Error, CustomStringConvertible, Equatable {
        /// The relay answered a command with a negative reply.
        case rejected(command: String, reply: SMTPReply)
        /// The connection failed, closed or timed out, TLS failed, or the relay spoke
        /// something that is not SMTP.
        case connection(String)
        /// Something this side will not do (a password in clear, a line too long).
        case refused(String, permanent: Bool)

        var isPermanent: Bool {
            switch self {
            case .rejected(_, let reply): !reply.isTransient
            case .connection: false
            case .refused(_, let permanent): permanent
            }
        }

        var description: String {
            switch self {
            case .rejected(let command, let reply): "\(reply) (to \(command))"
            case .connection(let what): what
            case .refused(let what, _): what
            }
        }
    }

    let relay: SMTPRelay
    let group: any EventLoopGroup

    init(relay: SMTPRelay, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.relay = relay
        self.group = group
    }

    /// Sends `message` (a whole RFC 5322 message) from `from` to `to`.
    /// - Returns: the relay's reply to the end of the data.
    /// - Throws: `Failure`.
    func send(message: [UInt8], from: MailAddress, to: MailAddress) async throws -> SMTPReply {
        let data = try Self.dataBlock(message)
        let timeout = TimeAmount.nanoseconds(relay.timeout.nanoseconds)
        let channel: NIOAsyncChannel<SMTPReply, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .connect(host: relay.host, port: relay.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: timeout))
                        try channel.pipeline.syncOperations.addHandler(ReadTimeoutHandler())
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                        return try NIOAsyncChannel<SMTPReply, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw Failure.connection("cannot connect to \(relay.display): \(error)")
        }
        let relay = self.relay
        return try await channel.executeThenClose { inbound, outbound in
            var talk = Conversation(replies: inbound.makeAsyncIterator(), outbound: outbound, relay: relay)
            let greeting = try await talk.next(after: "connecting")
            guard greeting.code == 220 else { throw Failure.rejected(command: "the greeting", reply: greeting) }
            var ehlo = try await talk.command("EHLO \(relay.helo)", expect: 250...250)
            var secure = false
            if ehlo.extensions["STARTTLS"] != nil {
                _ = try await talk.command("STARTTLS", expect: 220...220)
                do {
                    let context = try relay.tlsContext()
                    let hostname = relay.isIPAddress ? nil : relay.host
                    try await channel.channel.eventLoop.submit {
                        try channel.channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: hostname), position: .first)
                    }.get()
                } catch {
                    throw Failure.connection("TLS with \(relay.display): \(error)")
                }
                secure = true
                ehlo = try await talk.command("EHLO \(relay.helo)", expect: 250...250, tls: true)
            }
            if let username = relay.username {
                guard secure || relay.isLoopback else {
                    throw Failure.refused("\(relay.display) offers no STARTTLS: the SMTP password is not sent in clear", permanent: false)
                }
                let password = relay.password ?? ""
                let mechanisms = ehlo.extensions["AUTH"] ?? []
                if mechanisms.contains("PLAIN") {
                    let token = Data([0] + Array(username.utf8) + [0] + Array(password.utf8)).base64EncodedString()
                    _ = try await talk.command("AUTH PLAIN \(token)", shown: "AUTH PLAIN", expect: 235...235)
                } else if mechanisms.contains("LOGIN") {
                    _ = try await talk.command("AUTH LOGIN", expect: 334...334)
                    _ = try await talk.command(Data(username.utf8).base64EncodedString(), shown: "AUTH LOGIN (user name)", expect: 334...334)
                    _ = try await talk.command(Data(password.utf8).base64EncodedString(), shown: "AUTH LOGIN (password)", expect: 235...235)
                } else {
                    throw Failure.refused("\(relay.display) offers no AUTH PLAIN or LOGIN (it offers: \(mechanisms.joined(separator: " ")))", permanent: false)
                }
            }
            var mail = "MAIL FROM:<\(from)>"
            if message.contains(where: { $0 >= 0x80 }) {
                guard ehlo.extensions["8BITMIME"] != nil else { throw Failure.refused("the message has 8-bit bytes and \(relay.display) offers no 8BITMIME", permanent: true) }
                mail += " BODY=8BITMIME"
            }
            if let limit = ehlo.extensions["SIZE"] {
                if let most = limit.first.flatMap(Int.init), most > 0, data.count > most {
                    throw Failure.refused("the message (\(data.count) bytes) is over \(relay.display)'s SIZE limit (\(most))", permanent: true)
                }
                mail += " SIZE=\(data.count)"
            }
            _ = try await talk.command(mail, expect: 250...250)
            _ = try await talk.command("RCPT TO:<\(to)>", expect: 250...251)
            _ = try await talk.command("DATA", expect: 354...354)
            try await outbound.write(ByteBuffer(bytes: data))
            let accepted = try await talk.next(after: "the message data")
            guard accepted.code == 250 else { throw Failure.rejected(command: "the message data", reply: accepted) }
            // The message is taken; QUIT is a courtesy whose answer does not matter.
            _ = try? await talk.command("QUIT", expect: 221...221)
            return accepted
        }
    }

    /// The message as DATA sends it: CRLF line ends, lines starting with "." doubled
    /// (RFC 5321 §4.5.2), then CRLF "." CRLF. Lines over 998 bytes are refused (§4.5.3.1.6).
    static func dataBlock(_ message: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 50 + 5)
        var lineLength = 0
        var atLineStart = true
        var i = 0
        while i < message.count {
            let b = message[i]
            if b == 0x0D, i + 1 < message.count, message[i + 1] == 0x0A { i += 1; continue }
            if b == 0x0A || b == 0x0D {
                out += [0x0D, 0x0A]
                lineLength = 0
                atLineStart = true
                i += 1
                continue
            }
            if atLineStart && b == UInt8(ascii: ".") { out.append(b) }
            atLineStart = false
            out.append(b)
            lineLength += 1
            guard lineLength <= 998 else { throw Failure.refused("the message has a line longer than 998 bytes", permanent: true) }
            i += 1
        }
        if !atLineStart { out += [0x0D, 0x0A] }
        out += Array(".\r\n".utf8)
        return out
    }

    /// Reads replies and writes commands, each reply checked against what the command
    /// expects.
    private struct Conversation {
        var replies: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        let relay: SMTPRelay

        mutating func next(after command: String) async throws -> SMTPReply {
            do {
                guard let reply = try await replies.next() else { throw Failure.connection("\(relay.display) closed the connection (after \(command))") }
                return reply
            } catch let failure as Failure {
                throw failure
            } catch is ReadTimeout {
                throw Failure.connection("\(relay.display) did not answer within \(ConfigValue.format(relay.timeout)) (after \(command))")
            } catch let tls as NIOSSLError {
                let text = "\(tls)"
                if text.contains("CERTIFICATE_VERIFY_FAILED") {
                    throw Failure.connection("TLS with \(relay.display) failed: its certificate does not verify (see smtp_ca_file)")
                }
                throw Failure.connection("TLS with \(relay.display) failed: \(text)")
            } catch let malformed as SMTPReplyDecoder.Malformed {
                throw Failure.connection("\(relay.display) does not speak SMTP: \(malformed) (after \(command))")
            } catch {
                throw Failure.connection("\(relay.display): \(error) (after \(command))")
            }
        }

        mutating func command(_ text: String, shown: String? = nil, expect: ClosedRange<Int>, tls: Bool = false) async throws -> SMTPReply {
            let name = shown ?? text
            do {
                try await outbound.write(ByteBuffer(string: text + "\r\n"))
            } catch {
                // The channel is gone; why (a TLS handshake that failed, the relay closing)
                // waits on the inbound side, where `next` names it.
                do {
                    _ = try await next(after: tls ? "\(name) over TLS" : name)
                } catch let failure as Failure {
                    throw failure
                }
                throw Failure.connection("\(relay.display): cannot write \(name): \(error)")
            }
            let reply = try await next(after: tls ? "\(name) over TLS" : name)
            guard expect.contains(reply.code) else { throw Failure.rejected(command: name, reply: reply) }
            return reply
        }
    }
}

/// No reply within the timeout.
struct ReadTimeout: Error {}

/// Turns the idle handler's read event into an error on the channel (and closes it).
private final class ReadTimeoutHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.fireErrorCaught(ReadTimeout())
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
