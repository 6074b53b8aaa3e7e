import Primitives

/// A stored segment block that does not read (a damaged database): which segment, which
/// block, and why. Reading stops with it; nothing is guessed.
public struct CorruptSegment: Error, CustomStringConvertible {
    public var segmentID: Int64
    public var shipmentSHA256: String?
    /// The block's first key (the address its records start at), when known.
    public var blockFirstKey: [UInt8]?
    public var cause: String

    public var description: String {
        var place = "segment \(segmentID)"
        if let shipmentSHA256 { place += " (shipment \(shipmentSHA256))" }
        if let key = blockFirstKey { place += ", block starting at \(IPKey.address(bytes: key)?.description ?? Hex.string(key))" }
        return "\(place): \(cause)"
    }

    /// Runs `body` on a block; a malformed or undecompressable block becomes this error.
    static func reading<T>(segment: Int64, shipment: String?, firstKey: [UInt8]?, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SegmentCodec.MalformedBlock {
            throw CorruptSegment(segmentID: segment, shipmentSHA256: shipment, blockFirstKey: firstKey, cause: error.description)
        } catch let error as BlockCompression.Failure {
            throw CorruptSegment(segmentID: segment, shipmentSHA256: shipment, blockFirstKey: firstKey, cause: error.description)
        }
    }
}
