import Foundation
import GRDB
import LogParsers
import RegistryClient

/// What the store knows of one address (FORMATS.md §1 `ip show`).
public struct IPActivity: Sendable {
    public var ip: IPAddress
    public var registration: [RegistrationRecord]
    /// reporter → day (`YYYY-MM-DD`) → `kind` or `kind.reason` → count.
    public var reporters: [String: [String: [String: Int]]]
    public var firstSeen: Int64?
    public var lastSeen: Int64?
    /// Per reporter: first and last seen.
    public var seenBy: [String: (first: Int64, last: Int64)]
}

extension EngineStore {
    /// The activity of `ip` between `from` and `to` (UTC ms, inclusive hours).
    public func activity(of ip: IPAddress, from: Int64? = nil, to: Int64? = nil) throws -> IPActivity {
        let registration = try registry.history(of: ip)
        return try database.read { db in
            let key = IPKey.bytes(ip)
            var reporters: [String: [String: [String: Int]]] = [:]
            let fromHour = from.map { $0 / 3_600_000 } ?? Int64.min
            let toHour = to.map { $0 / 3_600_000 } ?? Int64.max
            let rows = try Row.fetchCursor(
                db, sql: "SELECT reporter_id, hour, kind, reason, SUM(count) FROM event_count WHERE ip = ? AND hour BETWEEN ? AND ? GROUP BY reporter_id, hour, kind, reason",
                arguments: [key, fromHour, toHour])
            while let row = try rows.next() {
                let reporter: String = row[0]
                let hour: Int64 = row[1]
                let kindCode: Int = row[2]
                let reasonCode: Int = row[3]
                let count: Int = row[4]
                let day = String(ISOTime.format(millis: hour * 3_600_000, fraction: false).prefix(10))
                guard let kind = EventKind(rawValue: UInt8(kindCode)) else { continue }
                reporters[reporter, default: [:]][day, default: [:]][kind.name, default: 0] += count
                if let reason = RejectReason(rawValue: UInt8(truncatingIfNeeded: reasonCode)), reasonCode != 255 {
                    reporters[reporter, default: [:]][day, default: [:]]["\(kind.name).\(reason.name)", default: 0] += count
                }
            }
            var first: Int64?
            var last: Int64?
            if let row = try Row.fetchOne(db, sql: "SELECT first_seen, last_seen FROM ip_seen WHERE ip = ?", arguments: [key]) {
                first = row[0]
                last = row[1]
            }
            var seenBy: [String: (first: Int64, last: Int64)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT reporter_id, first_seen, last_seen FROM ip_reporter_seen WHERE ip = ?", arguments: [key]) {
                seenBy[row[0]] = (row[1], row[2])
            }
            return IPActivity(ip: ip, registration: registration, reporters: reporters, firstSeen: first, lastSeen: last, seenBy: seenBy)
        }
    }
}
