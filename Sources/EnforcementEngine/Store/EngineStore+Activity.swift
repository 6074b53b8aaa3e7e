import Foundation
import GRDB
import LogParsers
import Primitives

extension EngineStore {
    /// The activity of `ip` between `from` and `to` (UTC ms, inclusive hours).
    public func activity(of ip: IPAddress, from: Int64? = nil, to: Int64? = nil) throws -> IPActivity {
        let registration = try registry.history(of: ip)
        let records = try records(of: ip)
        var reporters: [String: [String: [String: Int]]] = [:]
        let fromHour = from.map { $0 / 3_600_000 } ?? Int64.min
        let toHour = to.map { $0 / 3_600_000 } ?? Int64.max
        var first: Int64?
        var last: Int64?
        var seenBy: [String: (first: Int64, last: Int64)] = [:]
        var dayTexts: [Int64: String] = [:]
        for item in records {
            let day = Int64(item.record.day)
            let dayText = dayTexts[day] ?? String(ISOTime.format(millis: day * 86_400_000, fraction: false).prefix(10))
            dayTexts[day] = dayText
            var counted = false
            for entry in item.record.counts {
                let hour = day * 24 + Int64(entry.hourOfDay)
                guard hour >= fromHour, hour <= toHour, let kind = EventKind(rawValue: entry.kind) else { continue }
                counted = true
                reporters[item.reporter, default: [:]][dayText, default: [:]][kind.name, default: 0] += entry.count
                if entry.reason != 255, let reason = RejectReason(rawValue: entry.reason) {
                    reporters[item.reporter, default: [:]][dayText, default: [:]]["\(kind.name).\(reason.name)", default: 0] += entry.count
                }
            }
            guard counted else { continue }
            let (f, l) = (item.record.first, item.record.last)
            first = min(first ?? f, f)
            last = max(last ?? l, l)
            let known = seenBy[item.reporter]
            seenBy[item.reporter] = (min(known?.first ?? f, f), max(known?.last ?? l, l))
        }
        return IPActivity(ip: ip, registration: registration, reporters: reporters, firstSeen: first, lastSeen: last, seenBy: seenBy)
    }
}
