import CBatchSocket
import Foundation
import Glibc
import Primitives
import Synchronization

/// UDP queries answered with batched system calls, one thread per socket: `recvmmsg` takes
/// up to `batch` datagrams at once, `DNSBatchAnswerer` answers each into its slot of a send
/// area, and one `sendmmsg` sends every answer of the batch. The sockets share the port
/// (SO_REUSEPORT), so the kernel spreads clients over the threads; nothing is shared between
/// them on the hot path, and nothing is allocated per query. (The event loops of SwiftNIO cost more per
/// datagram than answering it does: an envelope, a buffer and a pipeline pass each.)
final class UDPBatchServer: Sendable {
    /// Datagrams per system call.
    static let batch = 32
    /// The largest query read whole; a longer one is cut and answered FORMERR.
    static let maxQuery = 2048
    /// Room for one answer (answers are cut to 1,232 bytes; a TSIG record adds a little).
    static let maxAnswer = 4096

    struct BindError: Error, CustomStringConvertible {
        var description: String
    }

    let port: Int
    private let sockets: [Int32]
    private let stopping = Atomic(false)
    private let done: [DispatchSemaphore]

    /// Binds `count` sockets to `host:port` (port 0: a free one, the same for all).
    init(host: String, port: Int, count: Int) throws {
        var sockets: [Int32] = []
        var bound = port
        do {
            for _ in 0..<max(1, count) {
                let fd = try Self.socket(host: host, port: bound)
                sockets.append(fd)
                if bound == 0 { bound = Self.localPort(fd) }
            }
        } catch {
            for fd in sockets { close(fd) }
            throw error
        }
        self.sockets = sockets
        self.port = bound
        done = sockets.map { _ in DispatchSemaphore(value: 0) }
    }

    /// Starts one thread per socket answering with `responder`, counting into `counters[i]`.
    func start(responder: DNSResponder, counters: [DNSServerCounters]) {
        for (index, fd) in sockets.enumerated() {
            let thread = Thread { [self] in
                serve(fd, responder: responder, counters: counters[index % counters.count])
                done[index].signal()
            }
            thread.name = "dns-udp-\(index)"
            thread.start()
        }
    }

    /// Closes the sockets of a server whose threads were never started.
    func closeUnstarted() {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        for fd in sockets { close(fd) }
    }

    /// Stops the threads (each notices within its receive timeout) and closes the sockets.
    func stop() {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        for semaphore in done { semaphore.wait() }
        for fd in sockets { close(fd) }
    }

    private func serve(_ fd: Int32, responder: DNSResponder, counters: DNSServerCounters) {
        let slots = UDPBatchSlots(batch: Self.batch)
        defer { slots.deallocate() }
        let answerer = DNSBatchAnswerer(batch: Self.batch, responder: responder, counters: counters, room: Self.maxAnswer)
        while !stopping.load(ordering: .relaxed) {
            slots.readyToReceive()
            // Blocks for the first datagram (or the receive timeout), then takes what waits.
            let received = Int(abuse_recvmmsg(fd, slots.inHeaders, UInt32(slots.batch), ABUSE_MSG_WAITFORONE, nil))
            guard received > 0 else { continue }  // timeout, EINTR, or a transient error
            // Each answer is written into the send area's slot of its query.
            answerer.answer(count: received, roomSize: Self.maxAnswer, query: { slots.query($0) }, room: { slots.answerSlot($0) })
            var answers = 0
            for i in 0..<received where answerer.lengths[i] > 0 {
                slots.address(answer: answers, length: answerer.lengths[i], toSenderOf: i)
                answers += 1
            }
            var sent = 0
            while sent < answers {
                let n = Int(abuse_sendmmsg(fd, slots.outHeaders + sent, UInt32(answers - sent), 0))
                if n > 0 {
                    sent += n
                } else if errno == EINTR || errno == EAGAIN {
                    continue
                } else {
                    // One destination that fails (unreachable, refused) must not stop the rest.
                    sent += 1
                }
            }
        }
    }

    /// A bound UDP socket sharing its port, with a receive timeout so that its thread
    /// looks at the stop flag at least every 200 ms.
    private static func socket(host: String, port: Int) throws -> Int32 {
        var v4 = in_addr()
        var v6 = in6_addr()
        let isV4 = inet_pton(AF_INET, host, &v4) == 1
        guard isV4 || inet_pton(AF_INET6, host, &v6) == 1 else { throw BindError(description: "'\(host)' is not an IP address") }
        let fd = Glibc.socket(isV4 ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw BindError(description: "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, socklen_t(MemoryLayout<Int32>.size))
        let result: Int32
        if isV4 {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr = v4
            result = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        } else {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            address.sin6_addr = v6
            result = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw BindError(description: "cannot bind UDP \(host):\(port): \(reason)")
        }
        return fd
    }

    private static func localPort(_ fd: Int32) -> Int {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return withUnsafePointer(to: &address) { pointer in
            if Int32(pointer.pointee.ss_family) == AF_INET {
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
        }
    }
}
