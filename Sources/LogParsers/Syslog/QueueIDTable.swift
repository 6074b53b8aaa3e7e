import Primitives
/// A bounded map from queue or session ids to a value, for correlating lines of one
/// transaction. Keys are 64-bit FNV-1a hashes of the id bytes; the oldest entries are
/// forgotten first, so memory stays bounded however long the log.
///
/// Open addressing with linear probing over twice `capacity` slots (a lookup per line is
/// in the parsers' hot path; Swift's `Dictionary` hashes every key with SipHash), and
/// deletion by shifting the following entries back, so no tombstones accumulate.
struct QueueIDTable<Value> {
    private var keys: [UInt64]
    private var values: [Value?]
    private var used: [Bool]
    private let mask: Int
    /// Keys in insertion order, as a ring: the slot about to be reused is the oldest.
    private var order: [UInt64]
    private var next = 0
    private var wrapped = false
    let capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        var slots = 2
        while slots < 2 * self.capacity { slots <<= 1 }
        keys = Array(repeating: 0, count: slots)
        values = Array(repeating: nil, count: slots)
        used = Array(repeating: false, count: slots)
        mask = slots - 1
        order = Array(repeating: 0, count: self.capacity)
    }

    static func key(_ id: UnsafeRawBufferPointer) -> UInt64 { FNV1a.hash(id) }

    @inline(__always)
    private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: ((key ^ (key >> 29)) &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }

    /// The slot holding `key`, or nil.
    @inline(__always)
    private func slot(of key: UInt64) -> Int? {
        var i = home(key)
        while used[i] {
            if keys[i] == key { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    mutating func insert(_ id: UnsafeRawBufferPointer, _ value: Value) {
        let key = Self.key(id)
        if let i = slot(of: key) {
            values[i] = value
            return
        }
        // The ring position about to be reused holds the oldest id: forget it.
        if wrapped, order[next] != key, let old = slot(of: order[next]) { removeSlot(old) }
        var i = home(key)
        while used[i] { i = (i + 1) & mask }
        keys[i] = key
        values[i] = value
        used[i] = true
        count += 1
        order[next] = key
        next += 1
        if next == capacity {
            next = 0
            wrapped = true
        }
    }

    func lookup(_ id: UnsafeRawBufferPointer) -> Value? {
        guard let i = slot(of: Self.key(id)) else { return nil }
        return values[i]
    }

    @discardableResult
    mutating func remove(_ id: UnsafeRawBufferPointer) -> Value? {
        guard let i = slot(of: Self.key(id)) else { return nil }
        let value = values[i]
        removeSlot(i)
        return value
    }

    /// Empties slot `i` and moves back every following entry of the probe run that may
    /// not sit after the hole (backward-shift deletion).
    private mutating func removeSlot(_ i: Int) {
        var hole = i
        var j = (i + 1) & mask
        while used[j] {
            let h = home(keys[j])
            // Entry j may fill the hole unless its home lies cyclically in (hole, j].
            let between = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j)
            if !between {
                keys[hole] = keys[j]
                values[hole] = values[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        used[hole] = false
        values[hole] = nil
        count -= 1
    }
}
