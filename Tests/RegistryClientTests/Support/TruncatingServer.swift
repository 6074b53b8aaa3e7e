import Foundation
import TestSupport
import Glibc
import RegistryClient

/// A test peer that answers every UDP query with an empty, truncated (TC) response and
/// answers over TCP with the real registry responder: the path a client must take when
/// an answer does not fit a datagram.
final class TruncatingServer: @unchecked Sendable {
    let port: Int
    private let udp: Int32
    private let tcp: Int32
    private let responder: DNSResponder

    init(responder: DNSResponder) {
        self.responder = responder
        // UDP on a port the kernel picks, TCP on the same one (another try if it is taken).
        var udp: Int32 = -1
        var tcp: Int32 = -1
        var port = 0
        for _ in 0..<5 {
            udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            port = bindLoopback(udp)
            if withLoopbackAddress(port: port, { bind(tcp, $0, $1) }) == 0 { break }
            close(udp)
            close(tcp)
        }
        (self.udp, self.tcp, self.port) = (udp, tcp, port)
        listen(tcp, 8)
        Thread { [self] in serveUDP() }.start()
        Thread { [self] in serveTCP() }.start()
    }

    func stop() {
        shutdown(udp, Int32(SHUT_RDWR))
        shutdown(tcp, Int32(SHUT_RDWR))
        close(udp)
        close(tcp)
    }

    private func serveUDP() {
        answerDatagrams(on: udp) { query in
            guard var message = try? DNSMessage(parsing: query) else { return nil }
            message.isResponse = true
            message.truncated = true
            return message.encode()
        }
    }

    private func serveTCP() {
        while true {
            let connection = accept(tcp, nil, nil)
            guard connection >= 0 else { return }
            var lengthBytes = [UInt8](repeating: 0, count: 2)
            guard recv(connection, &lengthBytes, 2, Int32(MSG_WAITALL)) == 2 else {
                close(connection)
                continue
            }
            let length = Int(lengthBytes[0]) << 8 | Int(lengthBytes[1])
            var message = [UInt8](repeating: 0, count: length)
            let n = recv(connection, &message, length, Int32(MSG_WAITALL))
            if n == length, let reply = message.withUnsafeBytes({ responder.answer($0, overUDP: false) }) {
                let framed = [UInt8(reply.count >> 8), UInt8(reply.count & 0xFF)] + reply
                _ = framed.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, 0) }
            }
            close(connection)
        }
    }
}
