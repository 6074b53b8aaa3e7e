import Testing

@testable import LogParsers

struct QueueIDTableTests {
    /// The reference: a dictionary and a ring of insertion order, as the table behaves.
    struct Model {
        var values: [UInt64: Int] = [:]
        var order: [UInt64]
        var next = 0
        var wrapped = false

        init(capacity: Int) { order = Array(repeating: 0, count: capacity) }

        mutating func insert(_ key: UInt64, _ value: Int) {
            if values.updateValue(value, forKey: key) != nil { return }
            if wrapped, order[next] != key { values.removeValue(forKey: order[next]) }
            order[next] = key
            next += 1
            if next == order.count {
                next = 0
                wrapped = true
            }
        }
    }

    /// Random inserts, lookups and removals over few ids (many collisions of probe runs,
    /// evictions by the ring) agree with the reference at every step.
    @Test(arguments: [1, 7, 64, 300])
    func behavesLikeADictionaryWithOldestFirstEviction(capacity: Int) {
        var table = QueueIDTable<Int>(capacity: capacity)
        var model = Model(capacity: capacity)
        var state: UInt64 = 0x1234_5678 &+ UInt64(capacity)
        func random() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        for step in 0..<40_000 {
            let id = Array("Q\(random() % UInt64(3 * capacity + 5))".utf8)
            let key = id.withUnsafeBytes { QueueIDTable<Int>.key($0) }
            switch random() % 4 {
            case 0, 1:
                id.withUnsafeBytes { table.insert($0, step) }
                model.insert(key, step)
            case 2:
                let removed = id.withUnsafeBytes { table.remove($0) }
                #expect(removed == model.values.removeValue(forKey: key), "step \(step)")
            default:
                #expect(id.withUnsafeBytes { table.lookup($0) } == model.values[key], "step \(step)")
            }
            #expect(table.count == model.values.count, "step \(step)")
            if table.count != model.values.count { return }
        }
    }
}
