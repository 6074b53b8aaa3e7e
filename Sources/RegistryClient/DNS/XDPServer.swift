import CXDPSocket
import Foundation
import Glibc
import Synchronization

/// Why `--xdp` cannot serve (no such interface, an IPv6 address, no privilege, another
/// program or socket on the interface): a configuration error.
public struct XDPSetupError: Error, CustomStringConvertible {
    public var description: String
}

/// IPv4 UDP queries answered through AF_XDP (`serve-dns --xdp IFACE`), the way Knot DNS's
/// XDP mode does: an XDP program on the interface hands the datagrams to the port (and
/// address) over to one AF_XDP socket per receive queue, past the kernel's IP and UDP
/// layers, and the answers go back out the same way. Per answer that saves the route
/// lookup, the socket buffers, the system calls' message headers and the copies of a
/// socket server (see docs/SCALE.md for what it buys per core).
///
/// What the program does not take (IPv6, fragments, IP options, other ports or
/// addresses, frames too long) goes on to the kernel and the ordinary sockets, which stay
/// bound. One thread per queue answers with `DNSBatchAnswerer`, the socket path's code.
/// The program is attached through a BPF link: it leaves the interface when the server
/// stops, or when the process dies.
final class XDPServer: Sendable {

    /// An AF_XDP socket; after `start`, used by its own thread only.
    // Unchecked: a C handle that one thread uses at a time (created here, then handed to
    // the thread that serves it, closed in `stop` after that thread has ended).
    private struct Socket: @unchecked Sendable {
        let handle: OpaquePointer
    }

    /// Datagrams per batch.
    static let batch = 32

    let interface: String
    let queues: Int
    private let program: abuse_xdp_program
    private let sockets: [Socket]
    private let stopping = Atomic(false)
    private let done: [DispatchSemaphore]

    /// Loads and attaches the program for `host:port` (`host` an IPv4 address, or 0.0.0.0
    /// for any address of the interface), with a socket on each of the interface's `queues`
    /// receive queues (`receiveQueues`).
    init(interface: String, queues: Int, host: String, port: Int) throws {
        let index = if_nametoindex(interface)
        guard index != 0 else { throw XDPSetupError(description: "--xdp: no network interface '\(interface)'") }
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else {
            throw XDPSetupError(description: "--xdp answers IPv4 only: --listen an IPv4 address (or 0.0.0.0), not '\(host)'")
        }
        var error = [CChar](repeating: 0, count: 512)
        func failure() -> XDPSetupError {
            XDPSetupError(description: "--xdp \(interface): \(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        var program = abuse_xdp_program()
        guard abuse_xdp_load(UInt16(port), address.s_addr, Int32(queues), &program, &error, error.count) == 0 else {
            throw failure()
        }
        var sockets: [Socket] = []
        for queue in 0..<queues {
            guard let handle = abuse_xdp_open(Int32(index), Int32(queue), &program, &error, error.count) else {
                for socket in sockets { abuse_xdp_close(socket.handle) }
                abuse_xdp_unload(&program)
                throw failure()
            }
            sockets.append(Socket(handle: handle))
        }
        guard abuse_xdp_attach(&program, Int32(index), &error, error.count) == 0 else {
            for socket in sockets { abuse_xdp_close(socket.handle) }
            abuse_xdp_unload(&program)
            throw failure()
        }
        self.interface = interface
        self.queues = queues
        self.program = program
        self.sockets = sockets
        done = sockets.map { _ in DispatchSemaphore(value: 0) }
    }

    /// The interface's receive queues (`/sys/class/net/IFACE/queues/rx-N`), at least one.
    static func receiveQueues(_ interface: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net/\(interface)/queues")) ?? []
        return max(1, names.filter { $0.hasPrefix("rx-") }.count)
    }

    /// Starts one thread per queue, each counting into its own of `counters`.
    func start(responder: DNSResponder, counters: [DNSServerCounters]) {
        for (index, socket) in sockets.enumerated() {
            let thread = Thread { [self] in
                serve(socket, responder: responder, counters: counters[index % counters.count])
                done[index].signal()
            }
            thread.name = "dns-xdp-\(index)"
            thread.start()
        }
    }

    /// Stops the threads (each notices within its 200 ms wait), detaches the program and
    /// closes the sockets.
    func stop() {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        for semaphore in done { semaphore.wait() }
        close()
    }

    /// Detaches and closes a server whose threads were never started.
    func closeUnstarted() {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        close()
    }

    private func close() {
        var program = self.program
        abuse_xdp_unload(&program)
        for socket in sockets { abuse_xdp_close(socket.handle) }
    }

    private func serve(_ socket: Socket, responder: DNSResponder, counters: DNSServerCounters) {
        let packets = UnsafeMutablePointer<abuse_xdp_packet>.allocate(capacity: Self.batch)
        packets.initialize(repeating: abuse_xdp_packet(), count: Self.batch)
        defer { packets.deallocate() }
        let answerer = DNSBatchAnswerer(batch: Self.batch, responder: responder, counters: counters, room: Int(ABUSE_XDP_ANSWER_ROOM))
        var malformed: UInt64 = 0
        while !stopping.load(ordering: .relaxed) {
            let received = Int(abuse_xdp_receive(socket.handle, packets, Int32(Self.batch), 200))
            let dropped = abuse_xdp_malformed(socket.handle)
            if dropped != malformed {
                // Read off the interface and dropped: counted as both, as the sockets' runts are.
                counters.received.add(Int(dropped - malformed), ordering: .relaxed)
                counters.dropped.add(Int(dropped - malformed), ordering: .relaxed)
                malformed = dropped
            }
            guard received > 0 else { continue }
            answerer.answer(
                count: received, roomSize: Int(ABUSE_XDP_ANSWER_ROOM),
                query: { UnsafeRawBufferPointer(start: packets[$0].query, count: Int(packets[$0].query_length)) },
                room: { UnsafeMutableRawPointer(packets[$0].answer) })
            for i in 0..<received { packets[i].answer_length = UInt32(answerer.lengths[i]) }
            abuse_xdp_send(socket.handle, packets, Int32(received))
        }
    }
}
