import Foundation
import Glibc

/// HTTP over a plain TCP socket, for requests no well-behaved client sends (10,000 headers,
/// a body that stalls). Returns what the server answered before it closed or `timeout`.
public enum RawHTTP {
    public struct Reply: Sendable {
        /// The status code of the first response line, or nil when none came.
        public var status: Int?
        public var text: String
        /// Whether the server closed the connection.
        public var closed: Bool
    }

    /// Sends `head` (and `body`, then waits `stall` seconds before the rest of nothing)
    /// to 127.0.0.1:`port`; reads until the server closes or `timeout` passes.
    public static func exchange(port: Int, head: String, body: [UInt8] = [], timeout: Double = 10) -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { return Reply(status: nil, text: "connect failed", closed: true) }
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(head.utf8) + body
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeout)
        var closed = false
        while Date() < deadline {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                closed = true
                break
            }
            if n > 0 { received += chunk[0..<n] }
        }
        let text = String(decoding: received, as: UTF8.self)
        var status: Int?
        if text.hasPrefix("HTTP/1.1 "), let code = Int(text.dropFirst(9).prefix(3)) { status = code }
        return Reply(status: status, text: text, closed: closed)
    }
}
