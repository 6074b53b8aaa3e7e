import Primitives

/// The answering of one batch of UDP queries, for the socket path (`UDPBatchServer`) and
/// the AF_XDP path (`XDPServer`) alike: each query is parsed once, the common A queries'
/// statuses are looked up together (so that the index's cache misses of the whole batch
/// overlap), and each answer is written straight into the room its caller gives. The
/// clock is read once per batch. One per thread, its memory allocated once: nothing is
/// allocated per query.
final class DNSBatchAnswerer {
    let batch: Int
    private let responder: DNSResponder
    private let fast: FastAnswer
    private let reader: LiveRegistry.Reader
    private let counters: DNSServerCounters
    private var scratch: [UInt8] = []
    /// Per query: the fast path's parse, and its place among `keys` (-1: none).
    private let parsed: UnsafeMutablePointer<FastAnswer.Parsed>
    private let keyOf: UnsafeMutablePointer<Int32>
    /// Per fast query: the address, the lookup's work, and the status found.
    private let keys: UnsafeMutablePointer<UInt32>
    private let work: UnsafeMutablePointer<Int32>
    private let decided: UnsafeMutablePointer<(status: RegistrationStatus, prefixLength: Int)>
    private let statuses: UnsafeMutablePointer<RegistrationStatus>
    /// Per answer: its `DNSAnswerKind.index`, for the counters.
    private let kinds: UnsafeMutablePointer<UInt8>
    /// Per query of the last batch: the length of its answer, 0 when it gets none.
    let lengths: UnsafeMutablePointer<Int>

    init(batch: Int, responder: DNSResponder, counters: DNSServerCounters, room: Int) {
        self.batch = batch
        self.responder = responder
        fast = responder.fast
        reader = responder.registry.reader()
        self.counters = counters
        scratch.reserveCapacity(room)
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
        kinds = .allocate(capacity: batch)
        kinds.initialize(repeating: 0, count: batch)
        lengths = .allocate(capacity: batch)
        lengths.initialize(repeating: 0, count: batch)
    }

    deinit {
        parsed.deallocate()
        keyOf.deallocate()
        keys.deallocate()
        work.deallocate()
        decided.deallocate()
        statuses.deallocate()
        kinds.deallocate()
        lengths.deallocate()
    }

    /// Answers `count` (at most `batch`) queries, `query(i)`, each into `room(i)` of `roomSize`
    /// bytes; `lengths[i]` is then its answer's length, 0 when it gets none (a query the
    /// general path drops, or an answer larger than the room).
    @inline(__always)
    func answer(count: Int, roomSize: Int, query: (Int) -> UnsafeRawBufferPointer, room: (Int) -> UnsafeMutableRawPointer) {
        let start = ContinuousClock.now
        counters.received.add(count, ordering: .relaxed)
        let now = responder.clock()
        var looked = 0
        for i in 0..<count {
            if let parsed = fast.parse(query(i)) {
                self.parsed[i] = parsed
                keys[looked] = parsed.address
                keyOf[i] = Int32(looked)
                looked += 1
            } else {
                keyOf[i] = -1
            }
        }
        if looked > 0 {
            reader.statuses(
                ofV4: UnsafeBufferPointer(start: keys, count: looked), at: now, work: UnsafeMutableBufferPointer(start: work, count: looked),
                decided: UnsafeMutableBufferPointer(start: decided, count: looked), into: UnsafeMutableBufferPointer(start: statuses, count: looked))
        }
        let serial = responder.zone.zoneSerial(UInt32(truncatingIfNeeded: reader.serial))
        var answers = 0
        for i in 0..<count {
            let key = Int(keyOf[i])
            let slot = room(i)
            if key >= 0, statuses[key] != .unknown {
                lengths[i] = fast.write(query(i), parsed[i], statuses[key], serial: serial, into: slot, room: roomSize)
                kinds[answers] = UInt8(DNSAnswerKind(answering: statuses[key]).index)
            } else {
                scratch.removeAll(keepingCapacity: true)
                guard responder.answer(query(i), overUDP: true, into: &scratch, reader: reader), scratch.count <= roomSize else {
                    lengths[i] = 0
                    counters.dropped.add(1, ordering: .relaxed)
                    continue
                }
                lengths[i] = scratch.count
                scratch.withUnsafeBytes { reply in
                    slot.copyMemory(from: reply.baseAddress!, byteCount: reply.count)
                    kinds[answers] = UInt8(DNSAnswerKind.classify(reply).index)
                }
            }
            answers += 1
        }
        let elapsed = ContinuousClock.now - start
        counters.answered(
            kinds: UnsafeBufferPointer(start: kinds, count: answers),
            nanos: Int(elapsed.components.seconds) * 1_000_000_000 + Int(elapsed.components.attoseconds / 1_000_000_000))
    }
}
