import LogParsers
import Primitives

extension FileAggregate {
    /// Writes the file's records to `writer` in segment order (address bytes as SQLite
    /// compares them, then day), straight from the pools; returns how many and the days.
    /// Every event added must have been applied (`flush`).
    func encode(into writer: inout SegmentCodec.BlockWriter) throws -> (records: Int, firstDay: Int32, lastDay: Int32) {
        precondition(pending.isEmpty, "encode after flush")
        // Sort plain keys, not records: no reference counting in the sort.
        var order: [(key: SegmentCodec.Key, day: Int32, index: Int32)] = []
        order.reserveCapacity(clients.count)
        for (index, entry) in clients.entries.enumerated() { order.append((SegmentCodec.Key(entry.ip), entry.day, Int32(index))) }
        order.sort { $0.key != $1.key ? $0.key < $1.key : $0.day < $1.day }
        var counts: [(UInt32, Int)] = []
        var samples: [SampleCell] = []
        var firstDay = Int32.max
        var lastDay = Int32.min
        // Records are visited in address order, their entries and cells in arrival order:
        // each batch first gathers its entries, then the head cells of their lists, in
        // loops of independent loads (many cache misses in flight instead of one at a
        // time), and is encoded from those copies.
        let batchSize = 256
        var staged: [ClientDay] = []
        var headCounts: [CountCell] = []
        var headSamples: [SampleCell] = []
        staged.reserveCapacity(batchSize)
        let noCount = CountCell(key: 0, next: -1, count: 0)
        let noSample = SampleCell(priority: 0, line: 0, offset: 0, kind: 0, reason: 0, next: -1)
        for batchStart in stride(from: 0, to: order.count, by: batchSize) {
            let batch = order[batchStart..<min(batchStart + batchSize, order.count)]
            staged.removeAll(keepingCapacity: true)
            for n in batch.indices {
                if n + Self.prefetchDistance < order.count { clients.prefetchEntry(Int(order[n + Self.prefetchDistance].index)) }
                staged.append(clients.entries[Int(order[n].index)])
            }
            headCounts.removeAll(keepingCapacity: true)
            headSamples.removeAll(keepingCapacity: true)
            for day in staged {
                headCounts.append(day.moreCounts >= 0 ? countPool[Int(day.moreCounts)] : noCount)
                headSamples.append(day.samples >= 0 ? samplePool[Int(day.samples)] : noSample)
            }
            for (k, item) in batch.enumerated() {
                var day = staged[k]
                counts.removeAll(keepingCapacity: true)
                let used = Int(day.inlineCounts)
                withUnsafeBytes(of: &day.counts) { raw in
                    for packed in raw.bindMemory(to: UInt64.self).prefix(used) { counts.append((UInt32(truncatingIfNeeded: packed >> 32), Int(packed & 0xFFFF_FFFF))) }
                }
                if day.moreCounts >= 0 {
                    var cell = headCounts[k]
                    while true {
                        // A key whose inline count filled 32 bits goes on in the pool: add them up.
                        if let c = counts.prefix(used).firstIndex(where: { $0.0 == cell.key }) { counts[c].1 += cell.count } else { counts.append((cell.key, cell.count)) }
                        guard cell.next >= 0 else { break }
                        cell = countPool[Int(cell.next)]
                    }
                }
                counts.sort { $0.0 < $1.0 }
                samples.removeAll(keepingCapacity: true)
                if day.samples >= 0 {
                    var cell = headSamples[k]
                    while true {
                        samples.append(cell)
                        guard cell.next >= 0 else { break }
                        cell = samplePool[Int(cell.next)]
                    }
                }
                samples.sort { ($0.kind, $0.reason, $0.priority) < ($1.kind, $1.reason, $1.priority) }
                try writer.add(
                    key: item.key, day: item.day, first: day.first, last: day.last, counts: counts,
                    samples: samples.lazy.map { SegmentRecord.Sample(kind: $0.kind, reason: $0.reason, line: $0.line, offset: $0.offset) })
                firstDay = min(firstDay, item.day)
                lastDay = max(lastDay, item.day)
            }
        }
        return (order.count, order.isEmpty ? 0 : firstDay, order.isEmpty ? 0 : lastDay)
    }
}
