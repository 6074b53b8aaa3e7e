import GRDB
import RegistryClient
import TestSupport
import Testing

struct RegistryStoreTests {
    static let csv = """
        network,registrant,status,abuse_contact,since
        198.51.100.0/24,R-000100,active,abuse@example.net,2026-01-01T00:00:00Z
        198.51.100.0/28,R-000123,active,abuse@example.net,2026-01-15T00:00:00Z
        2001:db8:10::/48,R-000124,active,noc@example.com,2026-02-01T00:00:00Z
        192.0.2.25/32,R-000200,suspended,abuse@bad.example,2026-11-01T00:00:00Z

        """

    @Test(arguments: Backend.allCases) func reimportingTheSameFileChangesNothing(_ backend: Backend) throws {
        let registry = try TestRegistry(backend)
        defer { registry.remove() }
        let first = try registry.importCSV(Self.csv)
        #expect(first.added == 4)
        let second = try registry.importCSV(Self.csv)
        #expect(second.added == 0 && second.changed == 0 && second.unchanged == 4)
        #expect(try registry.store.history(of: ip("198.51.100.5")).count == 2)
    }

    @Test(arguments: Backend.allCases) func longestPrefixWinsAndEarlierTimesFallBackToTheEnclosingNetwork(_ backend: Backend) throws {
        let registry = try TestRegistry(backend)
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        let now = time("2026-11-28T00:00:00Z")
        #expect(try registry.store.state(of: ip("198.51.100.5"), at: now).registrant == "R-000123")
        #expect(try registry.store.state(of: ip("198.51.100.77"), at: now).registrant == "R-000100")
        // Before the /28 existed, the /24 answers.
        #expect(try registry.store.state(of: ip("198.51.100.5"), at: time("2026-01-10T00:00:00Z")).registrant == "R-000100")
        // Before either existed, nothing.
        #expect(try registry.store.state(of: ip("198.51.100.5"), at: time("2025-12-31T00:00:00Z")).status == .unregistered)
        #expect(try registry.store.state(of: ip("2001:db8:10:ffff::1"), at: now).status == .active)
        #expect(try registry.store.state(of: ip("2001:db8:11::1"), at: now).status == .unregistered)
    }

    @Test(arguments: Backend.allCases) func keepsEveryChangeSoEachMomentHasItsStatus(_ backend: Backend) throws {
        let registry = try TestRegistry(backend)
        defer { registry.remove() }
        let address = ip("198.51.100.5")
        try registry.importCSV(Self.csv)
        // A changed import: the contact moves on 2026-06-01.
        try registry.importCSV(Self.csv.replacingOccurrences(of: "R-000123,active,abuse@example.net,2026-01-15T00:00:00Z", with: "R-000123,active,noc@example.net,2026-06-01T00:00:00Z"))
        // Suspended by the engine at 02:00, reinstated by staff at 10:00.
        try registry.store.recordChange(of: address, to: .suspended, at: time("2026-11-28T02:00:00Z"), cause: "suspension", source: "engine", caseID: "C-2026-000001", provisional: true)
        try registry.store.recordChange(of: address, to: .active, at: time("2026-11-28T10:00:00Z"), cause: "reinstatement", source: "alice", caseID: "C-2026-000001", provisional: false)
        let moments: [(String, RegistrationStatus, String?)] = [
            ("2026-11-28T01:59:00Z", .active, nil),
            ("2026-11-28T02:00:00Z", .suspended, "C-2026-000001"),
            ("2026-11-28T09:59:59Z", .suspended, "C-2026-000001"),
            ("2026-11-28T10:00:00Z", .active, "C-2026-000001"),
        ]
        let index = try registry.store.loadIndex()
        for (moment, status, caseID) in moments {
            let fromStore = try registry.store.state(of: address, at: time(moment))
            #expect(fromStore.status == status, "store at \(moment)")
            #expect(fromStore.caseID == caseID, "case at \(moment)")
            #expect(index.state(of: address, at: time(moment)) == fromStore, "index agrees with the store at \(moment)")
        }
        let history = try registry.store.history(of: address)
        #expect(history.map(\.cause) == ["import", "import", "import", "suspension", "reinstatement"])
    }

    @Test(arguments: Backend.allCases) func historyRowsCannotBeUpdatedOrDeleted(_ backend: Backend) throws {
        let registry = try TestRegistry(backend)
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        var refusals = ["UPDATE registration SET status = 'revoked'", "DELETE FROM registration"]
        if backend == .postgres { refusals.append("TRUNCATE registration") }
        for statement in refusals {
            let error = #expect(throws: (any Error).self, "\(statement)") { try registry.execute(statement) }
            #expect("\(error.map { "\($0)" } ?? "")".contains("registration history is append-only"), "\(statement): \(String(describing: error))")
        }
        #expect(try registry.store.history(of: ip("198.51.100.5")).count == 2, "nothing changed")
    }

    @Test(arguments: Backend.allCases) func refusesToChangeAnUnregisteredAddress(_ backend: Backend) throws {
        let registry = try TestRegistry(backend)
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        #expect(throws: RegistryError.notRegistered("203.0.113.1")) {
            try registry.store.recordChange(of: ip("203.0.113.1"), to: .suspended, at: time("2026-11-28T00:00:00Z"), cause: "suspension", source: "engine", caseID: nil, provisional: true)
        }
    }
}
