import Foundation
import TestSupport
import Glibc
import RegistryClient

/// A plain UDP socket for sending raw (possibly malformed) packets to a server.
final class UDPSocket {
    let fd: Int32

    init(timeoutMilliseconds: Int = 2000) {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8], port: Int) {
        _ = bytes.withUnsafeBytes { raw in withLoopbackAddress(port: port) { sendto(fd, raw.baseAddress, raw.count, 0, $0, $1) } }
    }

    /// The next datagram, or nil after the timeout.
    func receive() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n >= 0 ? Array(buffer[0..<n]) : nil
    }

    /// The next answer with `id` that decodes (others are skipped), or nil after the timeout.
    func receive(id: UInt16) -> DNSMessage? {
        while let bytes = receive() {
            if let message = try? DNSMessage(parsing: bytes), message.id == id { return message }
        }
        return nil
    }

    /// Reads and drops whatever is waiting, without blocking.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while buffer.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }) > 0 {}
    }
}

/// 127.0.0.1:`port` as a socket address, handed to `body` as the C calls take it (`bind`,
/// `connect`, `sendto`).
func withLoopbackAddress<T>(port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
}

/// Binds `fd` to 127.0.0.1 on a port the kernel picks, and returns the port (a port picked
/// beforehand can be taken by a parallel test before the bind: its bind then fails and the
/// peer's datagrams are refused).
func bindLoopback(_ fd: Int32) -> Int {
    precondition(withLoopbackAddress(port: 0) { bind(fd, $0, $1) } == 0, "bind: \(String(cString: strerror(errno)))")
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Answers the datagrams on the bound socket `fd` with `reply` (nil: none) until the
/// socket is shut down (or a datagram shorter than a DNS header arrives): the loop of the
/// scripted test peers.
func answerDatagrams(on fd: Int32, _ reply: ([UInt8]) -> [UInt8]?) {
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        var from = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let n = buffer.withUnsafeMutableBytes { raw in
            withUnsafeMutablePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, raw.baseAddress, raw.count, 0, $0, &length) } }
        }
        guard n >= 12 else { return }
        guard let answer = reply(Array(buffer[0..<n])) else { continue }
        _ = answer.withUnsafeBytes { raw in
            withUnsafePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, raw.baseAddress, raw.count, 0, $0, length) } }
        }
    }
}
