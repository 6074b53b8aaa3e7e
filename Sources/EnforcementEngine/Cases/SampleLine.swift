import Foundation

/// A sample line reference of a client's reservoir, with what the archive holds at it.
struct SampleLine {
    typealias Entry = SampleReference

    var reporter: String
    var entry: Entry
    var shipment: Shipment?
    /// The archived line at `entry.line` (its offset and bytes), nil when not readable.
    var archived: (offset: UInt64, bytes: [UInt8])?
    /// Why `archived` is nil.
    var problem: String?
}
