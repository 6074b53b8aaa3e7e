import Foundation
import LogParsers
import Primitives

/// A sampled line of a shipment in a client's reservoir, with its priority (the smallest
/// are kept, deterministically: the priority mixes the shipment's SHA-256 and the line).
public struct SampleReference: Sendable, Equatable {
    public var reporter: String
    public var kind: UInt8
    /// `RejectReason.rawValue`, 255 for none.
    public var reason: UInt8
    public var priority: UInt64
    public var shipmentID: Int64
    public var shipmentSHA256: String
    public var line: Int
    public var offset: UInt64
    /// The UTC day of the record the sample belongs to (days since the epoch).
    public var day: Int32
}
