import Foundation
import GRDB
import LogParsers
import Primitives

extension EngineStore {
    /// The activity of `ip` between `from` and `to` (UTC ms, inclusive hours).
    public func activity(of ip: IPAddress, from: Int64? = nil, to: Int64? = nil) throws -> IPActivity {
        let registration = try registry.history(of: ip)
        var reporters: [String: [String: [String: Int]]] = [:]
        let fromHour = from.map { $0 / 3_600_000 } ?? Int64.min
        let toHour = to.map { $0 / 3_600_000 } ?? Int64.max
        var first: Int64?
        var last: Int64?
        var seenBy: [String: (first: Int64, last: Int64)] = [:]
        var dayTexts: [Int64: String] = [:]
        // Sums, minimums and maximums: the records' order does not matter, and they are read
        // in place (no shipment looked up).
        try database.read { db in
            try forEachView(of: ip, db) { reporter, _, _, view in
                let day = Int64(view.day)
                let dayText = dayTexts[day] ?? String(ISOTime.format(millis: day * 86_400_000, fraction: false).prefix(10))
                dayTexts[day] = dayText
                var counted = false
                SegmentCodec.forEachCount(view) { entry in
                    let hour = day * 24 + Int64(entry.hourOfDay)
                    guard hour >= fromHour, hour <= toHour, let kind = EventKind(rawValue: entry.kind) else { return }
                    counted = true
                    reporters[reporter, default: [:]][dayText, default: [:]][kind.name, default: 0] += entry.count
                    if entry.reason != 255, let reason = RejectReason(rawValue: entry.reason) {
                        reporters[reporter, default: [:]][dayText, default: [:]]["\(kind.name).\(reason.name)", default: 0] += entry.count
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
        return IPActivity(ip: ip, registration: registration, reporters: reporters, firstSeen: first, lastSeen: last, seenBy: seenBy)
    }
}
