import CBatchSocket
import Glibc
import Primitives

/// One thread's memory for a batch, allocated once: the datagrams in and out, their
/// system-call headers, and what the fast path learns of each query.
struct UDPBatchSlots {
    let batch: Int
    let inArea: UnsafeMutableRawPointer
    let outArea: UnsafeMutableRawPointer
    let names: UnsafeMutablePointer<sockaddr_storage>
    let inVectors: UnsafeMutablePointer<iovec>
    let outVectors: UnsafeMutablePointer<iovec>
    let inHeaders: UnsafeMutablePointer<abuse_mmsghdr>
    let outHeaders: UnsafeMutablePointer<abuse_mmsghdr>
    /// Per answer: its `DNSAnswerKind.index`.
    let kinds: UnsafeMutablePointer<UInt8>
    /// Per datagram: the fast path's parse, and its place among `keys` (-1: none).
    let parsed: UnsafeMutablePointer<FastAnswer.Parsed>
    let keyOf: UnsafeMutablePointer<Int32>
    /// Per fast query: the address, the lookup's work, and the status found.
    let keys: UnsafeMutablePointer<UInt32>
    let work: UnsafeMutablePointer<Int32>
    let decided: UnsafeMutablePointer<(status: RegistrationStatus, prefixLength: Int)>
    let statuses: UnsafeMutablePointer<RegistrationStatus>

    init(batch: Int) {
        self.batch = batch
        inArea = .allocate(byteCount: batch * UDPBatchServer.maxQuery, alignment: 16)
        outArea = .allocate(byteCount: batch * UDPBatchServer.maxAnswer, alignment: 16)
        names = .allocate(capacity: batch)
        names.initialize(repeating: sockaddr_storage(), count: batch)
        inVectors = .allocate(capacity: batch)
        outVectors = .allocate(capacity: batch)
        inHeaders = .allocate(capacity: batch)
        outHeaders = .allocate(capacity: batch)
        for i in 0..<batch {
            inVectors[i] = iovec(iov_base: inArea + i * UDPBatchServer.maxQuery, iov_len: UDPBatchServer.maxQuery)
            outVectors[i] = iovec()
            inHeaders[i] = abuse_mmsghdr()
            outHeaders[i] = abuse_mmsghdr()
        }
        kinds = .allocate(capacity: batch)
        kinds.initialize(repeating: 0, count: batch)
        parsed = .allocate(capacity: batch)
        parsed.initialize(repeating: FastAnswer.Parsed(address: 0, questionEnd: 0, zoneStart: 0, hasOPT: false), count: batch)
        keyOf = .allocate(capacity: batch)
        keyOf.initialize(repeating: -1, count: batch)
        keys = .allocate(capacity: batch)
        keys.initialize(repeating: 0, count: batch)
        work = .allocate(capacity: batch)
        work.initialize(repeating: -1, count: batch)
        decided = .allocate(capacity: batch)
        decided.initialize(repeating: (.unknown, -1), count: batch)
        statuses = .allocate(capacity: batch)
        statuses.initialize(repeating: .unknown, count: batch)
    }

    func deallocate() {
        inArea.deallocate()
        outArea.deallocate()
        names.deallocate()
        inVectors.deallocate()
        outVectors.deallocate()
        inHeaders.deallocate()
        outHeaders.deallocate()
        kinds.deallocate()
        parsed.deallocate()
        keyOf.deallocate()
        keys.deallocate()
        work.deallocate()
        decided.deallocate()
        statuses.deallocate()
    }

    /// The `i`th datagram received.
    @inline(__always)
    func query(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: inArea + i * UDPBatchServer.maxQuery, count: Int(inHeaders[i].msg_len))
    }

    /// Readies the receive headers (the kernel wrote lengths and flags into them).
    func readyToReceive() {
        for i in 0..<batch {
            inHeaders[i].msg_hdr.msg_name = UnsafeMutableRawPointer(names + i)
            inHeaders[i].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            inHeaders[i].msg_hdr.msg_iov = inVectors + i
            inHeaders[i].msg_hdr.msg_iovlen = 1
            inHeaders[i].msg_hdr.msg_control = nil
            inHeaders[i].msg_hdr.msg_controllen = 0
            inHeaders[i].msg_hdr.msg_flags = 0
            inHeaders[i].msg_len = 0
        }
    }

    /// Makes answer slot `answer`, of `length` bytes, the reply to datagram `i`.
    @inline(__always)
    func address(answer: Int, length: Int, toSenderOf i: Int) {
        outVectors[answer] = iovec(iov_base: outArea + answer * UDPBatchServer.maxAnswer, iov_len: length)
        outHeaders[answer].msg_hdr.msg_name = UnsafeMutableRawPointer(names + i)
        outHeaders[answer].msg_hdr.msg_namelen = inHeaders[i].msg_hdr.msg_namelen
        outHeaders[answer].msg_hdr.msg_iov = outVectors + answer
        outHeaders[answer].msg_hdr.msg_iovlen = 1
        outHeaders[answer].msg_hdr.msg_control = nil
        outHeaders[answer].msg_hdr.msg_controllen = 0
        outHeaders[answer].msg_hdr.msg_flags = 0
    }
}
