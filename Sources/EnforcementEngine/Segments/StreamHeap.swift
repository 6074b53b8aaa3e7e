/// A binary min-heap of streams by their current record (then segment id, for a fixed order).
struct StreamHeap {
    private var items: [SegmentStream]

    init(_ streams: [SegmentStream]) {
        items = streams
        for i in stride(from: items.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
    }

    var first: SegmentStream? { items.first }

    /// After the first stream advanced: re-place it, or drop it when it is done.
    mutating func replaceFirst(keeping: Bool) {
        guard !items.isEmpty else { return }
        if !keeping {
            items[0] = items[items.count - 1]
            items.removeLast()
        }
        if !items.isEmpty { siftDown(0) }
    }

    private func less(_ a: SegmentStream, _ b: SegmentStream) -> Bool {
        let x = a.current!, y = b.current!
        if x.sortKey != y.sortKey { return x.sortKey < y.sortKey }
        if x.day != y.day { return x.day < y.day }
        return a.segmentID < b.segmentID
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count, less(items[l], items[m]) { m = l }
            if r < items.count, less(items[r], items[m]) { m = r }
            if m == i { return }
            items.swapAt(i, m)
            i = m
        }
    }
}
