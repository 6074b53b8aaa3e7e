import Foundation
import Synchronization

/// A token bucket per client address: `perMinute` requests a minute, bursts up to the same.
/// The table is bounded: when it is full, buckets that are full again are dropped first.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Double
    }
    private let buckets = Mutex<[String: Bucket]>([:])
    private let maxClients: Int

    init(maxClients: Int = 100_000) { self.maxClients = maxClients }

    /// Whether `client` may make a request now.
    func allow(_ client: String, perMinute: Int, now: Double = Date().timeIntervalSince1970) -> Bool {
        let capacity = Double(perMinute)
        let rate = capacity / 60
        return buckets.withLock { table in
            if table.count >= maxClients, table[client] == nil {
                table = table.filter { min(capacity, $0.value.tokens + (now - $0.value.updated) * rate) < capacity }
                if table.count >= maxClients { return false }
            }
            var bucket = table[client] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                table[client] = bucket
                return false
            }
            bucket.tokens -= 1
            table[client] = bucket
            return true
        }
    }
}
