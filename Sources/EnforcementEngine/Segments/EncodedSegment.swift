/// A shipment's aggregates ready to store: its records cut into compressed blocks
/// (`SegmentCodec`), with the days they cover. Built outside the writer's lock.
public struct EncodedSegment: Sendable {
    public var firstDay: Int32
    public var lastDay: Int32
    public var records: Int
    var blocks: [SegmentCodec.StoredBlock]

    /// Encodes `records`, sorting them into segment order first.
    public init(records: [SegmentRecord]) throws {
        var writer = SegmentCodec.BlockWriter()
        let sorted = records.sorted(by: SegmentRecord.precedes)
        for record in sorted { try writer.add(record) }
        self.records = sorted.count
        firstDay = sorted.map(\.day).min() ?? 0
        lastDay = sorted.map(\.day).max() ?? 0
        blocks = try writer.finish()
    }

    /// Encodes a file's aggregate straight from its pools, in segment order (no second
    /// copy of the file's records in memory).
    public init(aggregate: FileAggregate) throws {
        var writer = SegmentCodec.BlockWriter()
        (records, firstDay, lastDay) = try aggregate.encode(into: &writer)
        blocks = try writer.finish()
    }
}
