import CPrefetch

/// Longest-prefix match over one address family, flattened: the nested networks become a
/// sorted array of elementary intervals, each owned by its innermost network. A lookup is a
/// bucket jump on the top 16 bits and a short binary search; no allocation.
struct IntervalTable<Key: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable {
    struct Network: Sendable {
        var first: Key
        var last: Key
        var prefixLength: UInt8
        /// The enclosing network, -1 for none.
        var parent: Int32
        /// Its history rows in the index's history arrays.
        var historyStart: Int32
        var historyCount: Int32
    }

    private(set) var networks: [Network] = []
    private var boundaries: [Key] = []
    private var owners: [Int32] = []
    /// `bucketStart[t]`: the first boundary whose top `bucketBits` bits are ≥ t.
    private var bucketStart: [Int32] = []
    private let shift: Key

    @inline(__always)
    func bucket(_ key: Key) -> Int { Int(truncatingIfNeeded: key >> shift) }

    /// Builds from networks sorted by (first, prefix length), each with its history range.
    /// The top `bucketBits` bits of an address pick a bucket (2^bucketBits × 4 bytes).
    init(sorted input: [Network], bucketBits: Int) {
        shift = Key(Key.bitWidth - bucketBits)
        networks = input
        boundaries.reserveCapacity(input.count * 2)
        owners.reserveCapacity(input.count * 2)
        var stack: [Int32] = []
        func emit(_ start: Key, _ owner: Int32) {
            if let last = boundaries.last, last == start {
                owners[owners.count - 1] = owner
            } else {
                boundaries.append(start)
                owners.append(owner)
            }
        }
        func popUntil(_ position: Key?) {
            while let top = stack.last, position.map({ networks[Int(top)].last < $0 }) ?? true {
                stack.removeLast()
                let end = networks[Int(top)].last
                if end != Key.max { emit(end + 1, stack.last ?? -1) }
            }
        }
        for index in networks.indices {
            let first = networks[index].first
            popUntil(first)
            networks[index].parent = stack.last ?? -1
            emit(first, Int32(index))
            stack.append(Int32(index))
        }
        popUntil(nil)
        let buckets = 1 << bucketBits
        bucketStart = [Int32](repeating: Int32(boundaries.count), count: buckets + 1)
        var b = 0
        for t in 0...buckets {
            while b < boundaries.count, bucket(boundaries[b]) < t { b += 1 }
            bucketStart[t] = Int32(b)
        }
    }

    /// The innermost network containing `key`, or -1.
    @inline(__always)
    func innermost(_ key: Key) -> Int32 {
        let found = interval(key)
        return found < 0 ? -1 : owners.withUnsafeBufferPointer { $0[found] }
    }

    /// The elementary interval holding `key` (an index into `boundaries`), or -1.
    @inline(__always)
    private func interval(_ key: Key) -> Int {
        let t = bucket(key)
        let (first, end) = bucketStart.withUnsafeBufferPointer { (Int($0[t]), Int($0[t + 1])) }
        var lo = max(first - 1, 0)
        var hi = end  // exclusive
        if hi == 0 { return -1 }
        return boundaries.withUnsafeBufferPointer { b in
            // Last index in [lo, hi) with b[i] <= key.
            if b[lo] > key { return -1 }
            while hi - lo > 1 {
                let mid = (lo + hi) >> 1
                if b[mid] <= key { lo = mid } else { hi = mid }
            }
            return lo
        }
    }

    /// Hints for `innermost(key)`, one step at a time: each step reads what the one before
    /// asked for, so a caller gives every step for a batch of keys before the next, and the
    /// cache misses of the batch overlap. 0: the bucket; 1: its boundaries; 2: the owner;
    /// 3: the network.
    @inline(__always)
    func prefetch(_ key: Key, step: Int) {
        let t = bucket(key)
        if step == 0 {
            bucketStart.withUnsafeBufferPointer { abuse_prefetch($0.baseAddress! + t) }
            return
        }
        if step == 1 {
            let (first, end) = bucketStart.withUnsafeBufferPointer { (Int($0[t]), Int($0[t + 1])) }
            guard end > 0 else { return }
            boundaries.withUnsafeBufferPointer { b in
                abuse_prefetch(b.baseAddress! + max(first - 1, 0))
                abuse_prefetch(b.baseAddress! + (end - 1))
            }
            return
        }
        let found = interval(key)
        guard found >= 0 else { return }
        if step == 2 {
            owners.withUnsafeBufferPointer { abuse_prefetch($0.baseAddress! + found) }
            return
        }
        let n = owners.withUnsafeBufferPointer { Int($0[found]) }
        guard n >= 0 else { return }
        networks.withUnsafeBufferPointer { abuse_prefetch($0.baseAddress! + n) }
    }

    /// `innermost(key)` for a batch of keys at once, into `found`: each stage (the bucket,
    /// its boundaries, the owner, the network) is done for every key before the next, and
    /// asks for the cache line the next one reads, so the batch's cache misses overlap
    /// instead of following each other; nothing is looked up twice.
    func innermost(batch keys: UnsafeBufferPointer<Key>, into found: UnsafeMutableBufferPointer<Int32>) {
        precondition(found.count >= keys.count)
        bucketStart.withUnsafeBufferPointer { starts in
            for key in keys { abuse_prefetch(starts.baseAddress! + bucket(key)) }
            boundaries.withUnsafeBufferPointer { b in
                guard let base = b.baseAddress else { return }
                for key in keys {
                    let t = bucket(key)
                    let (first, end) = (Int(starts[t]), Int(starts[t + 1]))
                    guard end > 0 else { continue }
                    abuse_prefetch(base + max(first - 1, 0))
                    abuse_prefetch(base + (end - 1))
                }
            }
        }
        owners.withUnsafeBufferPointer { owned in
            for (k, key) in keys.enumerated() {
                let interval = interval(key)
                found[k] = Int32(interval)
                if interval >= 0 { abuse_prefetch(owned.baseAddress! + interval) }
            }
            networks.withUnsafeBufferPointer { nets in
                for k in 0..<keys.count where found[k] >= 0 {
                    let owner = owned[Int(found[k])]
                    found[k] = owner
                    if owner >= 0 { abuse_prefetch(nets.baseAddress! + Int(owner)) }
                }
            }
        }
    }

    var memoryBytes: Int {
        networks.capacity * MemoryLayout<Network>.stride + boundaries.capacity * MemoryLayout<Key>.stride
            + owners.capacity * 4 + bucketStart.capacity * 4
    }
}
