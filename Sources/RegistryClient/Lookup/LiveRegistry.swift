import Foundation
import Primitives
import Synchronization

/// The registry as a long-running reader sees it (the DNS server): an in-memory index
/// plus the networks changed since it was built, refreshed from the database by
/// `refresh()` so that a suspension shows at the next query. Each refresh swaps in a new
/// immutable snapshot and bumps `generation`; a `Reader` (one per answering thread) keeps
/// its own copy and takes the lock only when the generation moved, so the hot path shares
/// no lock between cores.
public final class LiveRegistry: Sendable {
    struct Snapshot: Sendable {
        var index: RegistrationIndex
        /// Networks with rows newer than the index, with their full history.
        var overlay: [(network: IPNetwork, rows: [IndexRow])]
        var lastID: Int64
    }

    private let store: RegistryStore
    private let snapshot: Mutex<Snapshot>
    /// Bumped (after the swap) whenever `snapshot` changes.
    private let generation = Atomic(0)
    /// The database files as the last refresh found them, and when.
    private let lastLook = Mutex<(files: [Int], at: ContinuousClock.Instant)?>(nil)
    /// Past this many changed networks the index is rebuilt instead.
    let overlayLimit: Int

    public init(store: RegistryStore, overlayLimit: Int = 1024) throws {
        self.store = store
        self.overlayLimit = overlayLimit
        let (index, lastID) = try Self.load(store)
        snapshot = Mutex(Snapshot(index: index, overlay: [], lastID: lastID))
    }

    private static func load(_ store: RegistryStore) throws -> (RegistrationIndex, Int64) {
        // The id first: rows added while the index loads are picked up by the next refresh.
        let lastID = try store.latestRecordID()
        return (try store.loadIndex(), lastID)
    }

    /// The newest history row folded in; a serial for the zone's SOA.
    public var serial: Int64 { snapshot.withLock { $0.lastID } }

    public var networkCount: Int { snapshot.withLock { $0.index.networkCount } }

    /// Folds rows written since the last refresh into the overlay, or rebuilds the index
    /// when the overlay would grow past its limit. Returns whether anything changed.
    @discardableResult
    public func refresh() throws -> Bool {
        // Nothing written since the last look (SQLite: the database and its WAL unchanged,
        // by size and modification time; PostgreSQL: no notification of a change): no
        // query. At least once a second it asks anyway.
        let files = store.backend.changeMarker()
        let now = ContinuousClock.now
        let unchanged = lastLook.withLock { last in
            guard let files, let previous = last, previous.files == files, now - previous.at < .seconds(1) else { return false }
            return true
        }
        if unchanged { return false }
        let changed = try fold()
        lastLook.withLock { $0 = files.map { ($0, now) } }  // Only after a look that worked.
        return changed
    }

    private func fold() throws -> Bool {
        let lastID = snapshot.withLock { $0.lastID }
        let fresh = try store.backend.histories(changedAfter: lastID, limit: overlayLimit).map { found in
            (
                networks: found.networks.mapValues { history in
                    history.map {
                        IndexRow(network: $0.ipNetwork, status: $0.registrationStatus, registrant: $0.registrant, caseID: $0.caseID, validFrom: $0.validFrom)
                    }
                }, maxID: found.maxID
            )
        }
        guard let fresh else { return false }
        let overlaySize = snapshot.withLock { current in
            Set(current.overlay.map(\.network)).union(fresh.networks.keys).count
        }
        if overlaySize > overlayLimit {
            let (index, id) = try Self.load(store)
            snapshot.withLock { $0 = Snapshot(index: index, overlay: [], lastID: id) }
            generation.add(1, ordering: .releasing)
            return true
        }
        snapshot.withLock { current in
            var overlay = current.overlay.filter { fresh.networks[$0.network] == nil }
            for (network, rows) in fresh.networks { overlay.append((network, rows)) }
            current = Snapshot(index: current.index, overlay: overlay, lastID: max(current.lastID, fresh.maxID))
        }
        generation.add(1, ordering: .releasing)
        return true
    }

    /// The state of `ip` at `time` (UTC ms).
    public func state(of ip: IPAddress, at time: Int64) -> RegistrationState {
        Self.state(of: ip, at: time, in: snapshot.withLock { $0 })
    }

    /// The status of `ip` at `time`.
    public func status(of ip: IPAddress, at time: Int64) -> RegistrationStatus {
        Self.status(of: ip, at: time, in: snapshot.withLock { $0 })
    }

    /// A reader for one thread.
    public func reader() -> Reader { Reader(self) }

    /// Reads the registry from one thread without the shared lock: its snapshot is renewed
    /// when the registry's generation moved. Not to be shared between threads.
    public final class Reader {
        private let registry: LiveRegistry
        private var seen: Int
        private var current: Snapshot

        init(_ registry: LiveRegistry) {
            self.registry = registry
            seen = registry.generation.load(ordering: .acquiring)
            current = registry.snapshot.withLock { $0 }
        }

        @inline(__always)
        private func renew() {
            let now = registry.generation.load(ordering: .acquiring)
            if now != seen {
                seen = now
                current = registry.snapshot.withLock { $0 }
            }
        }

        public func status(of ip: IPAddress, at time: Int64) -> RegistrationStatus {
            renew()
            return LiveRegistry.status(of: ip, at: time, in: current)
        }

        public func state(of ip: IPAddress, at time: Int64) -> RegistrationState {
            renew()
            return LiveRegistry.state(of: ip, at: time, in: current)
        }

        /// `status(of:at:)` for a batch of IPv4 addresses (their 32-bit values) at one time,
        /// into `statuses`; `work` has room for one entry per address. The index's lookups
        /// overlap their cache misses (`RegistrationIndex.decidingStatuses`).
        func statuses(
            ofV4 keys: UnsafeBufferPointer<UInt32>, at time: Int64, work: UnsafeMutableBufferPointer<Int32>,
            decided: UnsafeMutableBufferPointer<(status: RegistrationStatus, prefixLength: Int)>, into statuses: UnsafeMutableBufferPointer<RegistrationStatus>
        ) {
            renew()
            current.index.decidingStatuses(ofV4: keys, at: time, work: work, into: decided)
            for k in 0..<keys.count {
                statuses[k] =
                    current.overlay.isEmpty
                    ? decided[k].status : LiveRegistry.overlaid(decided[k], IPAddress(v4: keys[k]), time, current.overlay)
            }
        }

        /// The newest history row folded in.
        public var serial: Int64 {
            renew()
            return current.lastID
        }
    }

    static func status(of ip: IPAddress, at time: Int64, in current: Snapshot) -> RegistrationStatus {
        overlaid(current.index.decidingStatus(of: ip, at: time), ip, time, current.overlay)
    }

    /// The index's answer for `ip`, or an overlay network's where one at least as long
    /// covers it.
    private static func overlaid(
        _ decided: (status: RegistrationStatus, prefixLength: Int), _ ip: IPAddress, _ time: Int64, _ overlay: [(network: IPNetwork, rows: [IndexRow])]
    ) -> RegistrationStatus {
        var (best, prefix) = decided
        for entry in overlay where entry.network.contains(ip) {
            guard let row = entry.rows.last(where: { $0.validFrom <= time }) else { continue }
            if entry.network.prefixLength >= prefix {
                (best, prefix) = (row.status, entry.network.prefixLength)
            }
        }
        return best
    }

    static func state(of ip: IPAddress, at time: Int64, in current: Snapshot) -> RegistrationState {
        var best = current.index.state(of: ip, at: time)
        if current.overlay.isEmpty { return best }
        for entry in current.overlay where entry.network.contains(ip) {
            guard let row = entry.rows.last(where: { $0.validFrom <= time }) else { continue }
            if entry.network.prefixLength >= (best.network?.prefixLength ?? -1) {
                best = RegistrationState(status: row.status, network: entry.network, registrant: row.registrant, caseID: row.caseID, validFrom: row.validFrom)
            }
        }
        return best
    }
}
