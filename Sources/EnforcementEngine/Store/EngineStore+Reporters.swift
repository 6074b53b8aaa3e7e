import Foundation
import GRDB
import LogParsers
import Primitives

extension EngineStore {
    public func addReporter(_ reporter: Reporter) throws {
        try sql.write { db in
            if try db.exists("SELECT 1 FROM reporter WHERE id = ?", [.text(reporter.id)]) { throw EngineError.reporterExists(reporter.id) }
            try reporter.insert(db)
        }
    }

    public func reporters() throws -> [Reporter] {
        try sql.read { db in try db.rows("SELECT \(Reporter.columns) FROM reporter ORDER BY id", [], Reporter.init(row:)) }
    }

    public func reporter(id: String) throws -> Reporter? {
        try sql.read { db in try db.first("SELECT \(Reporter.columns) FROM reporter WHERE id = ?", [.text(id)], Reporter.init(row:)) }
    }

    /// Every reporter's status (or one's), as of `asOf`, with its last `last` shipments.
    public func reporterStatuses(id: String? = nil, last: Int, asOf: Int64) throws -> [ReporterStatus] {
        var reporters = try reporters()
        if let id {
            reporters = reporters.filter { $0.id == id }
            if reporters.isEmpty { throw EngineError.unknownReporter(id) }
        }
        return try reporters.map { reporter in
            let lastIngested = try sql.read { db in
                try db.integer("SELECT MAX(received_at) FROM shipment WHERE reporter_id = ? AND status = 'ingested'", [.text(reporter.id)])
            }
            return ReporterStatus(
                reporter: reporter, shipments: try shipments(reporter: reporter.id, limit: last), lastIngested: lastIngested,
                contradicted: try contradictions(reporter: reporter.id), asOf: asOf)
        }
    }
}
