import Foundation
import LogParsers
import Primitives
import RegistryClient

extension EngineStore {
    /// The reservoir of `ip`: per reporter and kind.reason the `samplesPerKey` line
    /// references of smallest priority over all shipments (over the records of the days of
    /// `window`, when given); per reporter (in reporter order) those kept, by priority.
    public func reservoir(of ip: IPAddress, window: SampleWindow? = nil, samplesPerKey: Int = 10) throws -> [(reporter: String, samples: [SampleReference])] {
        var perKey: [String: [UInt16: [SampleReference]]] = [:]
        var fileKeys: [Int64: UInt64] = [:]
        for item in try records(of: ip) {
            if let window, item.record.day < window.firstDay || item.record.day > window.lastDay { continue }
            let fileKey = fileKeys[item.shipmentID] ?? FileAggregate.fileKey(item.shipmentSHA256)
            fileKeys[item.shipmentID] = fileKey
            for s in item.record.samples {
                let entry = SampleReference(
                    reporter: item.reporter, kind: s.kind, reason: s.reason, priority: FileAggregate.priority(fileKey: fileKey, line: s.line),
                    shipmentID: item.shipmentID, shipmentSHA256: item.shipmentSHA256, line: s.line, offset: s.offset, day: item.record.day)
                perKey[item.reporter, default: [:]][UInt16(s.kind) << 8 | UInt16(s.reason), default: []].append(entry)
            }
        }
        let order: (SampleReference, SampleReference) -> Bool = { ($0.priority, $0.shipmentSHA256, $0.line) < ($1.priority, $1.shipmentSHA256, $1.line) }
        return perKey.keys.sorted().map { reporter in
            (reporter, perKey[reporter]!.values.flatMap { $0.sorted(by: order).prefix(samplesPerKey) }.sorted(by: order))
        }
    }

    /// Up to `perReporter` samples per reporter of `addresses` (smallest priorities first),
    /// read back from the archived shipments in one pass per shipment. With a `window`, only
    /// lines of that window: records of its days, and on a day it covers only in part, lines
    /// whose own time (read again from the line) falls inside it.
    package func sampleLines(addresses: [IPAddress], window: SampleWindow?, perReporter: Int, dataFolder: URL, samplesPerKey: Int = 10) throws -> [SampleLine] {
        var candidates: [(String, SampleReference)] = []
        for ip in addresses {
            for (reporter, kept) in try reservoir(of: ip, window: window, samplesPerKey: samplesPerKey) {
                candidates += kept.map { (reporter, $0) }
            }
        }
        let shipments = try sql.read { db in
            try Dictionary(
                uniqueKeysWithValues: Set(candidates.map(\.1.shipmentID)).compactMap { id in
                    try db.first("SELECT \(Shipment.columns) FROM shipment WHERE id = ?", [.integer(id)], Shipment.init(row:)).map { (id, $0) }
                })
        }
        let archive = LogArchive(dataFolder: dataFolder)
        var texts: [Int64: [Int: (offset: UInt64, bytes: [UInt8])]] = [:]
        var problems: [Int64: String] = [:]
        for (id, shipment) in shipments {
            guard let file = archive.existing(sha256: shipment.sha256) else {
                problems[id] = "the archived shipment \(shipment.sha256) (\(shipment.fileName)) is missing"
                continue
            }
            do {
                texts[id] = try ArchiveExcerpts.read(file, lines: Set(candidates.filter { $0.1.shipmentID == id }.map(\.1.line)))
            } catch {
                problems[id] = "cannot read the archived shipment \(file.path): \(error)"
            }
        }
        var zones: [String: TimeZone?] = [:]
        var taken: [String: Int] = [:]
        var result: [SampleLine] = []
        let order: (SampleReference, SampleReference) -> Bool = { ($0.priority, $0.shipmentSHA256, $0.line) < ($1.priority, $1.shipmentSHA256, $1.line) }
        for (reporter, entry) in candidates.sorted(by: { $0.0 != $1.0 ? $0.0 < $1.0 : order($0.1, $1.1) }) {
            guard taken[reporter, default: 0] < perReporter else { continue }
            let archived = texts[entry.shipmentID]?[entry.line]
            if let window, !window.covers(day: entry.day), let archived, let shipment = shipments[entry.shipmentID] {
                if zones[reporter] == nil { zones[reporter] = try self.reporter(id: reporter).flatMap { TimeZone(identifier: $0.timezone) } }
                let reference = (shipment.lastEvent ?? shipment.receivedAt) + 86_400_000
                if let time = ExcerptFacts.read(archived.bytes, timeZone: zones[reporter] ?? nil, reference: reference).time, time < window.from || time >= window.to {
                    continue
                }
            }
            taken[reporter, default: 0] += 1
            let problem = archived == nil ? (problems[entry.shipmentID] ?? "line \(entry.line) of shipment \(entry.shipmentID) is not in the archive") : nil
            result.append(SampleLine(reporter: reporter, entry: entry, shipment: shipments[entry.shipmentID], archived: archived, problem: problem))
        }
        return result
    }
}
