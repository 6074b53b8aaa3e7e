import GRDB
import Primitives

/// Reading the registry for the zone: the rows in force one network at a time
/// (`CurrentRecords`), and the differences between two serials window by window
/// (`WindowRead`), the same over either backend.
extension RegistryStore {
    /// A read of the registry at several serials around one part of the address space: the
    /// rows in force of the networks covering or inside a window, and point questions about
    /// single networks and prefixes (the differences of a zone between two serials are
    /// worked out from these, window by window). Valid only inside `readWindows`.
    public protocol WindowRead {
        /// The rows in force at `recordID` of the networks inside `window` or covering it, in
        /// zone order. `window` must not be a /0.
        func records(around window: IPNetwork, through recordID: Int64) throws -> CurrentRecords
        /// The row in force at `recordID` of exactly `network`, if it has one.
        func record(of network: IPNetwork, through recordID: Int64) throws -> RegistrationRecord?
        /// Whether a network strictly inside `prefix` (a longer one) is in force at
        /// `recordID` with a status that answers.
        func hasAnsweringNetwork(inside prefix: IPNetwork, through recordID: Int64) throws -> Bool
    }

    /// The rows in force, one network at a time in zone order, from rows sorted by network
    /// and time (the database sorts them with bounded memory): of each network's run of rows,
    /// the last. Valid only inside the read that made it.
    public final class CurrentRecords {
        private let source: () throws -> RegistrationRecord?
        private var pending: RegistrationRecord?
        private var started = false

        /// Over rows handed out one at a time by `source` (nil at the end).
        init(source: @escaping () throws -> RegistrationRecord?) {
            self.source = source
        }

        convenience init(cursor: RecordCursor<RegistrationRecord>) {
            self.init(source: { try cursor.next() })
        }

        public func next() throws -> RegistrationRecord? {
            if !started {
                started = true
                pending = try source()
            }
            guard var last = pending else { return nil }
            while let record = try source() {
                if !record.isSameNetwork(as: last) {
                    pending = record
                    return last
                }
                last = record
            }
            pending = nil
            return last
        }
    }
}
