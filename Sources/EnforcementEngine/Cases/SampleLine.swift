import Foundation
import GRDB
import LogParsers

/// A sample line reference of a client's reservoir, with what the archive holds at it.
struct SampleLine {
    var reporter: String
    var entry: SampleSet.Entry
    var shipment: Shipment?
    /// The archived line at `entry.line` (its offset and bytes), nil when not readable.
    var archived: (offset: UInt64, bytes: [UInt8])?
    /// Why `archived` is nil.
    var problem: String?
}

extension EngineStore {
    /// Up to `perReporter` samples per reporter for `ip` (smallest priorities first), read
    /// back from the archived shipments in one pass per shipment.
    func sampleLines(ip: IPAddress, perReporter: Int, dataFolder: URL) throws -> [SampleLine] {
        let rows = try database.read { db in
            try Row.fetchAll(db, sql: "SELECT reporter_id, samples FROM sample_set WHERE ip = ? ORDER BY reporter_id", arguments: [IPKey.bytes(ip)])
        }
        var picked: [(String, SampleSet.Entry)] = []
        for row in rows {
            let entries = try SampleSet.decode(row[1]).sorted { ($0.priority, $0.shipmentID, $0.line) < ($1.priority, $1.shipmentID, $1.line) }
            picked += entries.prefix(perReporter).map { (row[0] as String, $0) }
        }
        let shipments = try database.read { db in
            try Dictionary(uniqueKeysWithValues: Set(picked.map(\.1.shipmentID)).compactMap { id in try Shipment.fetchOne(db, key: id).map { (id, $0) } })
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
                texts[id] = try ArchiveExcerpts.read(file, lines: Set(picked.filter { $0.1.shipmentID == id }.map(\.1.line)))
            } catch {
                problems[id] = "cannot read the archived shipment \(file.path): \(error)"
            }
        }
        return picked.map { reporter, entry in
            let archived = texts[entry.shipmentID]?[entry.line]
            let problem = archived == nil ? (problems[entry.shipmentID] ?? "line \(entry.line) of shipment \(entry.shipmentID) is not in the archive") : nil
            return SampleLine(reporter: reporter, entry: entry, shipment: shipments[entry.shipmentID], archived: archived, problem: problem)
        }
    }
}
