import Foundation
import LogParsers
import Primitives
import RegistryClient

extension EngineStore {
    /// The activity of `ip` between `from` and `to` (UTC ms, inclusive hours).
    public func activity(of ip: IPAddress, from: Int64? = nil, to: Int64? = nil) throws -> IPActivity {
        let registration = try registry.history(of: ip)
        let fromHour = from.map { $0 / 3_600_000 } ?? Int64.min
        let toHour = to.map { $0 / 3_600_000 } ?? Int64.max
        var first: Int64?
        var last: Int64?
        var seenBy: [String: (first: Int64, last: Int64)] = [:]
        // Summed under numbers first (a client of every hourly shipment has thousands of
        // records), named once at the end. The records' order does not matter, and they are
        // read in place (no shipment looked up).
        var reporterNumbers: [String: Int] = [:]
        var sums: [CountKey: Int] = [:]
        try sql.read { db in
            try forEachView(of: ip, db) { reporter, _, _, view in
                let day = Int64(view.day)
                let number = reporterNumbers[reporter] ?? reporterNumbers.count
                reporterNumbers[reporter] = number
                var counted = false
                SegmentCodec.forEachCount(view) { entry in
                    let hour = day * 24 + Int64(entry.hourOfDay)
                    guard hour >= fromHour, hour <= toHour, EventKind(rawValue: entry.kind) != nil else { return }
                    counted = true
                    sums[CountKey(reporter: number, day: day, kind: entry.kind, reason: 255), default: 0] += entry.count
                    if entry.reason != 255, RejectReason(rawValue: entry.reason) != nil {
                        sums[CountKey(reporter: number, day: day, kind: entry.kind, reason: entry.reason), default: 0] += entry.count
                    }
                }
                guard counted else { return }
                let (f, l) = (view.first, view.last)
                first = min(first ?? f, f)
                last = max(last ?? l, l)
                let known = seenBy[reporter]
                seenBy[reporter] = (min(known?.first ?? f, f), max(known?.last ?? l, l))
            }
        }
        let names = Dictionary(uniqueKeysWithValues: reporterNumbers.map { ($1, $0) })
        var dayTexts: [Int64: String] = [:]
        var reporters: [String: [String: [String: Int]]] = [:]
        for (key, count) in sums {
            let dayText = dayTexts[key.day] ?? String(ISOTime.format(millis: key.day * 86_400_000, fraction: false).prefix(10))
            dayTexts[key.day] = dayText
            let kind = EventKind(rawValue: key.kind)!.name
            let name = key.reason == 255 ? kind : "\(kind).\(RejectReason(rawValue: key.reason)!.name)"
            reporters[names[key.reporter]!, default: [:]][dayText, default: [:]][name] = count
        }
        return IPActivity(ip: ip, registration: registration, reporters: reporters, firstSeen: first, lastSeen: last, seenBy: seenBy)
    }
}

/// A count of `ip show` before it is named: reporter (by number), day, kind, and reason
/// (255: the kind's total).
private struct CountKey: Hashable {
    var reporter: Int
    var day: Int64
    var kind: UInt8
    var reason: UInt8
}
