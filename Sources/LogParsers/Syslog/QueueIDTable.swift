/// A bounded map from queue or session ids to a value, for correlating lines of one
/// transaction. Keys are 64-bit FNV-1a hashes of the id bytes; the oldest entries are
/// forgotten first, so memory stays bounded however long the log.
struct QueueIDTable<Value> {
    private var values: [UInt64: Value] = [:]
    private var order: [UInt64]
    private var next = 0
    private var wrapped = false
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        order = Array(repeating: 0, count: capacity)
        values.reserveCapacity(capacity)
    }

    static func key(_ id: UnsafeRawBufferPointer) -> UInt64 { FNV1a.hash(id) }

    mutating func insert(_ id: UnsafeRawBufferPointer, _ value: Value) {
        let key = Self.key(id)
        if values.updateValue(value, forKey: key) != nil { return }
        // The slot about to be reused holds the oldest id: forget it.
        if wrapped, order[next] != key { values.removeValue(forKey: order[next]) }
        order[next] = key
        next += 1
        if next == capacity {
            next = 0
            wrapped = true
        }
    }

    func lookup(_ id: UnsafeRawBufferPointer) -> Value? { values[Self.key(id)] }

    @discardableResult
    mutating func remove(_ id: UnsafeRawBufferPointer) -> Value? { values.removeValue(forKey: Self.key(id)) }

    var count: Int { values.count }
}
