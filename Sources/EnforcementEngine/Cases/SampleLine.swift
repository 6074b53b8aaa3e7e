import Foundation

/// A sample line reference of a client's reservoir, with what the archive holds at it.
package struct SampleLine {
    package typealias Entry = SampleReference

    package var reporter: String
    package var entry: Entry
    package var shipment: Shipment?
    /// The archived line at `entry.line` (its offset and bytes), nil when not readable.
    package var archived: (offset: UInt64, bytes: [UInt8])?
    /// Why `archived` is nil.
    package var problem: String?
}
