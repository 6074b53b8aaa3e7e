import Foundation
import TestSupport
import Glibc
import RegistryClient
import Synchronization

/// A test peer that answers every UDP query NXDOMAIN after `delay`, counting how many
/// queries it holds at once: what a client's concurrency bound looks like from the server.
final class SlowServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let delay: Double
    private struct State {
        var waiting: [(due: Date, reply: [UInt8], from: sockaddr_storage, length: socklen_t)] = []
        var inFlight = 0
        var mostInFlight = 0
        var received = 0
        var stopped = false
    }
    private let state = Mutex(State())

    init(delay: Double = 0.02) {
        self.delay = delay
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        port = bindLoopback(fd)
        var timeout = timeval(tv_sec: 0, tv_usec: 2000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        Thread { [self] in serve() }.start()
    }

    /// The most queries held unanswered at one moment.
    var mostInFlight: Int { state.withLock { $0.mostInFlight } }
    var received: Int { state.withLock { $0.received } }

    func stop() {
        state.withLock { $0.stopped = true }
        Thread.sleep(forTimeInterval: 0.05)
        close(fd)
    }

    private func serve() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !state.withLock({ $0.stopped }) {
            var from = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = buffer.withUnsafeMutableBytes { raw in
                withUnsafeMutablePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, raw.baseAddress, raw.count, 0, $0, &length) } }
            }
            if n > 0, var query = try? DNSMessage(parsing: Array(buffer[0..<n])) {
                query.isResponse = true
                query.rcode = 3
                let reply = query.encode()
                let due = Date().addingTimeInterval(delay)
                state.withLock {
                    $0.received += 1
                    $0.inFlight += 1
                    $0.mostInFlight = max($0.mostInFlight, $0.inFlight)
                    $0.waiting.append((due, reply, from, length))
                }
            }
            let now = Date()
            let due = state.withLock { s -> [(reply: [UInt8], from: sockaddr_storage, length: socklen_t)] in
                let ready = s.waiting.filter { $0.due <= now }
                s.waiting.removeAll { $0.due <= now }
                s.inFlight -= ready.count
                return ready.map { ($0.reply, $0.from, $0.length) }
            }
            for var item in due {
                _ = item.reply.withUnsafeBytes { raw in
                    withUnsafePointer(to: &item.from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, raw.baseAddress, raw.count, 0, $0, item.length) } }
                }
            }
        }
    }
}
