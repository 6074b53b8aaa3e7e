import CPrefetch
import LogParsers
import Primitives

/// The per-file map from (client, day) to its aggregate: open addressing over a flat array
/// of entries, hashed with one multiply (Swift's `Dictionary` hashes every key with SipHash,
/// which showed as a tenth of ingest's time).
struct ClientDayTable: Sendable {
    /// Entries in insertion order, each with its key; `index(of:time:)` gives a position.
    var entries: [FileAggregate.ClientDay] = []
    /// Entry index + 1 per slot, 0 when empty; the count is a power of two.
    private var slots: [Int32] = Array(repeating: 0, count: 1 << 12)

    var count: Int { entries.count }
    /// The most entries the table takes (a bound on one file's memory).
    let capacity: Int

    init(capacity: Int = FileAggregate.Limits().maxClientDays) {
        self.capacity = min(capacity, Int(Int32.max) - 1)
    }

    @inline(__always)
    private static func hash(_ ip: IPAddress, _ day: Int32) -> UInt64 {
        var h = ip.low &* 0x9E37_79B9_7F4A_7C15
        h ^= ip.high &* 0xC2B2_AE3D_27D4_EB4F
        h ^= UInt64(UInt32(bitPattern: day)) &* 0x1656_67B1_9E37_79F9
        return h ^ (h >> 29)
    }

    /// The position of the entry of (`ip`, `day`), created (first and last seen at `time`)
    /// when absent; -1 when it is absent and the table is full.
    @inline(__always)
    mutating func index(of ip: IPAddress, day: Int32, time: Int64) -> Int {
        if (entries.count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: Self.hash(ip, day)) & mask
        while true {
            let slot = Int(slots[i])
            if slot == 0 {
                guard entries.count < capacity else { return -1 }
                entries.append(FileAggregate.ClientDay(ip: ip, day: day, time: time))
                slots[i] = Int32(entries.count)
                return entries.count - 1
            }
            if entries[slot - 1].day == day, entries[slot - 1].ip == ip { return slot - 1 }
            i = (i + 1) & mask
        }
    }

    // Reading ahead (`FileAggregate.flush`): where a key's probe starts, a hint to bring
    // that slot into the cache, the entry it holds, and a hint for that entry.

    @inline(__always)
    func homeSlot(_ ip: IPAddress, _ day: Int32) -> Int { Int(truncatingIfNeeded: Self.hash(ip, day)) & (slots.count - 1) }

    @inline(__always)
    func prefetchSlot(_ slot: Int) { slots.withUnsafeBufferPointer { abuse_prefetch($0.baseAddress! + slot) } }

    /// The entry in `slot`, whatever its key, or -1.
    @inline(__always)
    func entry(inSlot slot: Int) -> Int { Int(slots[slot]) - 1 }

    @inline(__always)
    func prefetchEntry(_ index: Int) {
        entries.withUnsafeBufferPointer { buffer in
            let start = UnsafeRawPointer(buffer.baseAddress! + index)
            abuse_prefetch(start)
            abuse_prefetch(start + MemoryLayout<FileAggregate.ClientDay>.stride - 1)
        }
    }

    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (n, entry) in entries.enumerated() {
            var i = Int(truncatingIfNeeded: Self.hash(entry.ip, entry.day)) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = Int32(n + 1)
        }
    }
}
