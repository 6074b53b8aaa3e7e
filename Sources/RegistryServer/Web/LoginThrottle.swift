import Foundation
import Synchronization

/// Failed logins per client address, in memory: `threshold` failures within the lock's
/// span lock the address for that span. Bounded: the least recently failing addresses are
/// forgotten beyond `capacity`.
final class LoginThrottle: Sendable {
    private struct Entry {
        var failures: [Int64]
        var lockedUntil: Int64
    }

    private let state = Mutex<[String: Entry]>([:])
    let threshold: Int
    let lockMillis: Int64
    let capacity: Int

    init(threshold: Int = StaffAccounts.failureThreshold, lockMillis: Int64 = StaffAccounts.lockMillis, capacity: Int = 100_000) {
        self.threshold = threshold
        self.lockMillis = lockMillis
        self.capacity = capacity
    }

    /// When the address is locked, until when.
    func lockedUntil(_ address: String, now: Int64) -> Int64? {
        state.withLock { entries in
            guard let entry = entries[address], entry.lockedUntil > now else { return nil }
            return entry.lockedUntil
        }
    }

    /// Counts a failure; returns the lock's end when this failure locked the address.
    func fail(_ address: String, now: Int64) -> Int64? {
        state.withLock { entries in
            if entries.count >= capacity, entries[address] == nil {
                let stalest = entries.min { ($0.value.failures.last ?? 0) < ($1.value.failures.last ?? 0) }
                if let stalest { entries.removeValue(forKey: stalest.key) }
            }
            var entry = entries[address] ?? Entry(failures: [], lockedUntil: 0)
            entry.failures = entry.failures.filter { $0 > now - lockMillis } + [now]
            var locked: Int64?
            if entry.failures.count >= threshold {
                entry.lockedUntil = now + lockMillis
                entry.failures = []
                locked = entry.lockedUntil
            }
            entries[address] = entry
            return locked
        }
    }
}
