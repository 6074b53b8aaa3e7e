import CBatchSocket
import Glibc

/// One thread's socket memory for a batch, allocated once: the datagrams in and out, and
/// their system-call headers.
struct UDPBatchSlots {
    let batch: Int
    let inArea: UnsafeMutableRawPointer
    let outArea: UnsafeMutableRawPointer
    let names: UnsafeMutablePointer<sockaddr_storage>
    let inVectors: UnsafeMutablePointer<iovec>
    let outVectors: UnsafeMutablePointer<iovec>
    let inHeaders: UnsafeMutablePointer<abuse_mmsghdr>
    let outHeaders: UnsafeMutablePointer<abuse_mmsghdr>

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
    }

    func deallocate() {
        inArea.deallocate()
        outArea.deallocate()
        names.deallocate()
        inVectors.deallocate()
        outVectors.deallocate()
        inHeaders.deallocate()
        outHeaders.deallocate()
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

    /// The send area's room for the answer to datagram `i`.
    @inline(__always)
    func answerSlot(_ i: Int) -> UnsafeMutableRawPointer { outArea + i * UDPBatchServer.maxAnswer }

    /// Makes the `answer`th message of the send the reply to datagram `i`: `length` bytes
    /// of its answer slot.
    @inline(__always)
    func address(answer: Int, length: Int, toSenderOf i: Int) {
        outVectors[answer] = iovec(iov_base: answerSlot(i), iov_len: length)
        outHeaders[answer].msg_hdr.msg_name = UnsafeMutableRawPointer(names + i)
        outHeaders[answer].msg_hdr.msg_namelen = inHeaders[i].msg_hdr.msg_namelen
        outHeaders[answer].msg_hdr.msg_iov = outVectors + answer
        outHeaders[answer].msg_hdr.msg_iovlen = 1
        outHeaders[answer].msg_hdr.msg_control = nil
        outHeaders[answer].msg_hdr.msg_controllen = 0
        outHeaders[answer].msg_hdr.msg_flags = 0
    }
}
