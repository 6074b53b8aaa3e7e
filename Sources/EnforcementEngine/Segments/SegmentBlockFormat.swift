/// The segment block format (`SegmentCodec`) as the package's other modules see it: the
/// fuzz targets and tools that read or write blocks without a store.
package enum SegmentBlockFormat {
    /// The records of a raw (uncompressed) block; throws `SegmentCodec.MalformedBlock`.
    package static func records(rawBlock: UnsafeRawBufferPointer) throws -> [SegmentRecord] {
        var records: [SegmentRecord] = []
        try SegmentCodec.forEachRecord(rawBlock) { records.append(SegmentCodec.record($0)) }
        return records
    }

    /// The raw bytes of a stored block (LEB128 size, then the zlib stream).
    package static func rawBlock(stored: UnsafeRawBufferPointer) throws -> [UInt8] {
        try SegmentCodec.inflate(stored)
    }

    /// Records, in segment order, cut into stored blocks.
    package static func storedBlocks(_ records: [SegmentRecord]) throws -> [[UInt8]] {
        var writer = SegmentCodec.BlockWriter()
        for record in records { try writer.add(record) }
        return try writer.finish().map(\.data)
    }
}
