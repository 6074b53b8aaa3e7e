import LogParsers

/// The per-file map from (client, day) to its aggregate: open addressing over a flat array
/// of entries, hashed with one multiply (Swift's `Dictionary` hashes every key with SipHash,
/// which showed as a tenth of ingest's time).
struct ClientDayTable: Sendable {
    private(set) var entries: [FileAggregate.ClientDay] = []
    private(set) var keys: [FileAggregate.DayKey] = []
    /// Entry index + 1 per slot, 0 when empty; the count is a power of two.
    private var slots: [Int32] = Array(repeating: 0, count: 1 << 12)

    var count: Int { entries.count }

    @inline(__always)
    private static func hash(_ key: FileAggregate.DayKey) -> UInt64 {
        var h = key.ip.low &* 0x9E37_79B9_7F4A_7C15
        h ^= key.ip.high &* 0xC2B2_AE3D_27D4_EB4F
        h ^= UInt64(UInt32(bitPattern: key.day)) &* 0x1656_67B1_9E37_79F9
        return h ^ (h >> 29)
    }

    /// The entry of `key`, created from `make` when absent, updated in place by `body`.
    @inline(__always)
    mutating func update(_ key: FileAggregate.DayKey, make: () -> FileAggregate.ClientDay, _ body: (inout FileAggregate.ClientDay) -> Void) {
        if (entries.count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: Self.hash(key)) & mask
        while true {
            let slot = Int(slots[i])
            if slot == 0 {
                entries.append(make())
                keys.append(key)
                slots[i] = Int32(entries.count)
                body(&entries[entries.count - 1])
                return
            }
            if keys[slot - 1] == key {
                body(&entries[slot - 1])
                return
            }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (n, key) in keys.enumerated() {
            var i = Int(truncatingIfNeeded: Self.hash(key)) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = Int32(n + 1)
        }
    }
}
