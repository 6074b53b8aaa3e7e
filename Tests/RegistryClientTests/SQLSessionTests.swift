import Foundation
import GRDB
@testable import RegistryClient
import TestSupport
import Testing

/// The SQL layer the engine is written once with, for SQLite and PostgreSQL.
struct SQLSessionTests {
    @Test func numbersPlaceholdersForPostgresAndLeavesQuotedTextAlone() {
        #expect(PostgresSQLSession.numbered("SELECT a FROM t WHERE b = ? AND c = ?") == "SELECT a FROM t WHERE b = $1 AND c = $2")
        #expect(PostgresSQLSession.numbered("SELECT ?1, ?12, ?") == "SELECT $1, $12, $1")
        #expect(PostgresSQLSession.numbered("SELECT '?', \"a?\", ? FROM t") == "SELECT '?', \"a?\", $1 FROM t")
        #expect(PostgresSQLSession.numbered("SELECT 'it''s ?' , ?") == "SELECT 'it''s ?' , $1")
    }

    /// The same statements give the same values on both databases: integers, reals, text,
    /// blobs, NULLs, booleans read as integers, and `INSERT … RETURNING`.
    @Test(arguments: Backend.allCases) func readsTheSameValuesOnBothDatabases(_ backend: Backend) throws {
        let registry = try TestRegistry(backend)
        defer { registry.remove() }
        let database = registry.sqlDatabase
        let blob: [UInt8] = [0, 1, 0xFF, 0x27, 0x3F]
        try database.write { db in
            try db.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY, n BIGINT, r DOUBLE PRECISION, t TEXT, b \(db.dialect == .postgres ? "BYTEA" : "BLOB"))", [])
            let id = try db.integer("INSERT INTO probe (id, n, r, t, b) VALUES (?, ?, ?, ?, ?) RETURNING id", [.integer(7), .integer(Int64.min), .real(0.25), .text("é ' ?"), .blob(blob)])
            #expect(id == 7)
            try db.execute("INSERT INTO probe (id, n, r, t, b) VALUES (8, NULL, NULL, NULL, NULL)", [])
        }
        try database.read { db in
            let rows = try db.rows("SELECT n, r, t, b FROM probe ORDER BY id") { row in
                [try row.integer(0).map(String.init), try row.real(1).map { "\($0)" }, try row.text(2), try row.bytes(3).map { "\($0)" }]
            }
            #expect(rows == [[String(Int64.min), "0.25", "é ' ?", "\(blob)"], [nil, nil, nil, nil]])
            #expect(try db.integer("SELECT COUNT(*) FROM probe WHERE t = ?", [.text("é ' ?")]) == 1)
            #expect(try db.exists("SELECT 1 FROM probe WHERE id = ?", [.integer(8)]))
            #expect(try !db.exists("SELECT 1 FROM probe WHERE id = ?", [.integer(9)]))
            #expect(try db.integer("SELECT (SELECT COUNT(*) FROM probe) > 1") == 1, "a boolean reads as an integer")
            var streamed = 0
            try db.forEachRow("SELECT id FROM probe", []) { _ in streamed += 1 }
            #expect(streamed == 2)
        }
        #expect(throws: SQLColumnError.self) {
            try database.read { db in _ = try db.rows("SELECT t FROM probe WHERE id = 8") { try $0.requiredText(0) } }
        }
    }
}
