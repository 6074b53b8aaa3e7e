import Foundation
import Glibc
import RegistryClient
import TestSupport

/// A test peer that answers UDP queries with the real responder's answer, one byte pattern
/// replaced: what a forger on the path would send (the signatures stay the genuine ones).
final class TamperingServer: @unchecked Sendable {
    let port: Int
    private let udp: Int32
    private let responder: DNSResponder
    private let pattern: [UInt8]
    private let replacement: [UInt8]

    init(responder: DNSResponder, replacing pattern: [UInt8], with replacement: [UInt8]) {
        precondition(pattern.count == replacement.count)
        self.responder = responder
        self.pattern = pattern
        self.replacement = replacement
        udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        port = bindLoopback(udp)
        Thread { [self] in serve() }.start()
    }

    func stop() {
        shutdown(udp, Int32(SHUT_RDWR))
        close(udp)
    }

    private func serve() {
        answerDatagrams(on: udp) { query in
            guard var reply = query.withUnsafeBytes({ responder.answer($0, overUDP: true) }) else { return nil }
            var i = 12
            while i + pattern.count <= reply.count {
                if Array(reply[i..<(i + pattern.count)]) == pattern { reply.replaceSubrange(i..<(i + pattern.count), with: replacement) }
                i += 1
            }
            return reply
        }
    }
}
