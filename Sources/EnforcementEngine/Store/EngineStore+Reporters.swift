import Foundation
import GRDB
import LogParsers
import Primitives

extension EngineStore {
    public func addReporter(_ reporter: Reporter) throws {
        try database.write { db in
            if try Reporter.fetchOne(db, key: reporter.id) != nil { throw EngineError.reporterExists(reporter.id) }
            try reporter.insert(db)
        }
    }

    public func reporters() throws -> [Reporter] {
        try database.read { db in try Reporter.order(Column("id")).fetchAll(db) }
    }

    public func reporter(id: String) throws -> Reporter? {
        try database.read { db in try Reporter.fetchOne(db, key: id) }
    }

    /// Every reporter's status (or one's), as of `asOf`, with its last `last` shipments.
    public func reporterStatuses(id: String? = nil, last: Int, asOf: Int64) throws -> [ReporterStatus] {
        var reporters = try reporters()
        if let id {
            reporters = reporters.filter { $0.id == id }
            if reporters.isEmpty { throw EngineError.unknownReporter(id) }
        }
        return try reporters.map { reporter in
            let lastIngested = try database.read { db in
                try Int64.fetchOne(db, sql: "SELECT MAX(received_at) FROM shipment WHERE reporter_id = ? AND status = 'ingested'", arguments: [reporter.id])
            }
            return ReporterStatus(
                reporter: reporter, shipments: try shipments(reporter: reporter.id, limit: last), lastIngested: lastIngested,
                contradicted: try contradictions(reporter: reporter.id), asOf: asOf)
        }
    }
}
