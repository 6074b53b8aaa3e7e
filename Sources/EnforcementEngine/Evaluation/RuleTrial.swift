import Foundation
import LogParsers
import Primitives
import RegistryClient

/// `rules test`: log files parsed and aggregated in memory exactly as ingest does (each file
/// a reporter of its own), nothing stored, and every rule explained against them.
public enum RuleTrial {
    public struct Result: Sendable {
        /// Every subject any rule counted something for, fired or not, with each condition.
        public var matches: [RuleMatch]
        public var contradictions: [RuleEvaluator.Contradiction]
        /// Events read per file, in order.
        public var events: [(file: String, events: Int)]
        /// Just after the last event: the end of every window.
        public var asOf: Int64
    }

    /// - Parameters:
    ///   - files: log files; each is a reporter (and organisation) named by its path.
    ///   - registry: the statuses events are judged by (empty: everyone unregistered).
    /// - Throws: `InputError` when a file cannot be read.
    public static func run(files: [String], rules: RuleSet, registry: RegistrationIndex, timeZone: TimeZone?) throws -> Result {
        let index = LoadingIndex(ready: registry)
        var rows: [SegmentCodec.Key: [ClientActivity.Row]] = [:]
        var events: [(String, Int)] = []
        var last: Int64 = 0
        let parser = LogFileParser(options: ParseOptions(timeZone: timeZone))
        for file in files {
            var aggregate = FileAggregate(fileSHA256: file, receivedAt: 0, index: index)
            let summary = try parser.parse(path: file) { event in
                if event.hasTime { last = max(last, event.time) }
                aggregate.add(event)
            }
            aggregate.flush()
            events.append((file, summary.events))
            // Through the segment encoding, as ingest stores it: one path from events to rows.
            var writer = SegmentCodec.BlockWriter()
            _ = try aggregate.encode(into: &writer)
            for block in try writer.finish() {
                let raw = try block.data.withUnsafeBytes { try SegmentCodec.inflate($0) }
                try raw.withUnsafeBytes { bytes in
                    try SegmentCodec.forEachRecord(bytes) { view in
                        SegmentCodec.forEachCount(view) { entry in
                            rows[view.key, default: []].append(
                                .init(reporter: file, hour: Int64(view.day) * 24 + Int64(entry.hourOfDay), kind: entry.kind, reason: entry.reason, status: entry.status, count: entry.count))
                        }
                    }
                }
            }
        }
        let clients = rows.sorted { $0.key < $1.key }.compactMap { key, rows in key.address.map { ClientActivity(ip: $0, rows: rows) } }
        let organisations = Dictionary(uniqueKeysWithValues: files.map { ($0, $0) })
        let evaluator = RuleEvaluator(rules: rules, organisations: organisations, registry: registry)
        let (matches, contradictions) = evaluator.evaluateWithContradictions(clients, asOf: last + 1, explainAll: true)
        return Result(matches: matches, contradictions: contradictions, events: events, asOf: last + 1)
    }
}
