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

    /// Optional filters as a WHERE clause: an absent one adds nothing, none match every row,
    /// `atLeast` is inclusive and `below` exclusive, on both databases.
    @Test(arguments: Backend.allCases) func conditionsFilterOnlyByWhatIsGiven(_ backend: Backend) throws {
        let registry = try TestRegistry(backend)
        defer { registry.remove() }
        let database = registry.sqlDatabase
        try database.write { db in
            try db.execute("CREATE TABLE entry (id INTEGER PRIMARY KEY, actor TEXT, time BIGINT)", [])
            for (id, actor, time) in [(1, "alice", 100), (2, "bob", 200), (3, "alice", 300), (4, "carol", 300)] {
                try db.execute("INSERT INTO entry (id, actor, time) VALUES (?, ?, ?)", [.integer(id), .text(actor), .integer(time)])
            }
        }
        func ids(actor: String? = nil, from: Int64? = nil, to: Int64? = nil) throws -> [Int64] {
            var conditions = SQLConditions()
            conditions.equal("actor", actor)
            conditions.atLeast("time", from)
            conditions.below("time", to)
            return try database.read { db in
                try db.rows("SELECT id FROM entry WHERE \(conditions.clause) ORDER BY id", conditions.arguments) { try $0.required(0) }
            }
        }
        #expect(try ids() == [1, 2, 3, 4])
        #expect(try ids(actor: "alice") == [1, 3])
        #expect(try ids(from: 200) == [2, 3, 4])
        #expect(try ids(to: 300) == [1, 2])
        #expect(try ids(actor: "alice", from: 200, to: 301) == [3])
        #expect(try ids(actor: "alice' OR '1'='1") == [], "a value is bound, never spliced")
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
