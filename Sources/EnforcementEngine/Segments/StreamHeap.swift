/// A segment read in record order, as a k-way merge takes it.
protocol MergeStream: AnyObject {
    /// Whether this stream's current record comes first: address, day, then shipment (so a
    /// client's records come in the same order before and after compaction). Both streams
    /// have a current record.
    func precedes(_ other: Self) -> Bool
}

/// A binary min-heap of streams by their current record.
struct StreamHeap<Stream: MergeStream> {
    private var items: [Stream]

    init(_ streams: [Stream]) {
        items = streams
        for i in stride(from: items.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
    }

    var first: Stream? { items.first }

    /// After the first stream advanced: re-place it, or drop it when it is done.
    mutating func replaceFirst(keeping: Bool) {
        guard !items.isEmpty else { return }
        if !keeping {
            items[0] = items[items.count - 1]
            items.removeLast()
        }
        if !items.isEmpty { siftDown(0) }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count, items[l].precedes(items[m]) { m = l }
            if r < items.count, items[r].precedes(items[m]) { m = r }
            if m == i { return }
            items.swapAt(i, m)
            i = m
        }
    }
}
