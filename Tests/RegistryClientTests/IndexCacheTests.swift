import Foundation
import Primitives
import RegistryClient
import TestSupport
import Testing

/// The registry index kept in a file of the data folder: read back, it answers as the index
/// built from the database; it is used only for the history it was built at; a damaged file
/// is never trusted.
struct IndexCacheTests {
    static let csv = """
        network,registrant,status,abuse_contact,since
        10.0.0.0/8,R-000001,active,abuse@example.net,2026-01-01T00:00:00Z
        10.1.0.0/16,R-000002,active,abuse@example.net,2026-02-01T00:00:00Z
        10.1.2.0/24,R-000003,suspended,abuse@example.net,2026-03-01T00:00:00Z
        10.1.2.3/32,R-000004,active,abuse@example.net,2026-04-01T00:00:00Z
        0.0.0.0/0,R-000005,revoked,abuse@example.net,2026-05-01T00:00:00Z
        2001:db8::/32,R-000006,active,noc@example.com,2026-01-01T00:00:00Z
        2001:db8:10::/48,R-000007,suspended,noc@example.com,2026-02-01T00:00:00Z
        2001:db8:10::1/128,R-000008,active,noc@example.com,2026-03-01T00:00:00Z
        ffff::/16,R-000009,active,noc@example.com,2026-03-01T00:00:00Z

        """

    static let addresses = [
        "10.0.0.1", "10.1.0.1", "10.1.2.1", "10.1.2.3", "10.1.2.4", "10.255.255.255", "11.0.0.0", "0.0.0.0", "255.255.255.255", "2001:db8::1",
        "2001:db8:10::1", "2001:db8:10::2", "2001:db9::1", "ffff:ffff::1", "::1",
    ].map { ip($0) }
    static let times = ["2025-12-31T00:00:00Z", "2026-01-15T00:00:00Z", "2026-02-15T00:00:00Z", "2026-03-15T00:00:00Z", "2026-06-01T00:00:00Z", "2026-12-01T00:00:00Z"]
        .map { time($0) }

    /// Every address at every time, as `state(of:at:)` gives it.
    static func answers(_ index: RegistrationIndex) -> [String] {
        addresses.flatMap { ip in
            times.map { time in
                let state = index.state(of: ip, at: time)
                return "\(ip) \(time) \(state.status) \(state.registrant ?? "-") \(state.caseID ?? "-") \(state.network?.description ?? "-")"
            }
        }
    }

    @Test(arguments: Backend.allCases) func aReadBackIndexAnswersAsTheBuiltOne(_ backend: Backend) throws {
        let registry = try TestRegistry(backend)
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        try registry.store.recordChange(
            of: ip("10.1.2.3"), to: .suspended, at: time("2026-06-01T00:00:00Z"), cause: "test", source: "engine", caseID: "C-1",
            provisional: false)
        let built = try registry.store.loadIndex()
        let bytes = built.archived(mark: "7-1-2")
        let read = try bytes.withUnsafeBytes { try RegistrationIndex(archived: $0, mark: "7-1-2") }
        #expect(read.networkCount == built.networkCount && read.historyCount == built.historyCount)
        #expect(Self.answers(read) == Self.answers(built))
        #expect(Self.answers(built).contains { $0.contains("suspended R-000004 C-1 10.1.2.3/32") }, "the answers include the change")
        #expect(bytes == read.archived(mark: "7-1-2"), "the same bytes again")
    }

    @Test func aDamagedOrForeignFileIsRefused() throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        let bytes = try registry.store.loadIndex().archived(mark: "9-1-1")
        func refused(_ damaged: [UInt8], mark: String = "9-1-1") -> Bool {
            (try? damaged.withUnsafeBytes { try RegistrationIndex(archived: $0, mark: mark) }) == nil
        }
        #expect(!refused(bytes))
        #expect(refused(bytes, mark: "10-1-1"), "another history's file")
        for cut in [0, 3, 8, 40, bytes.count / 2, bytes.count - 1] { #expect(refused(Array(bytes.prefix(cut))), "cut to \(cut) bytes") }
        for position in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
            var damaged = bytes
            damaged[position] ^= 0x10
            #expect(refused(damaged), "byte \(position) changed")
        }
    }

    /// The cache on a data folder: written at the first load, read at the next (a file
    /// holding another index under the same mark is believed, which shows it is read), and
    /// left for a new file once the history grows.
    @Test(arguments: Backend.allCases) func theCacheFileFollowsTheHistory(_ backend: Backend) throws {
        let registry = try TestRegistry(backend)
        defer { registry.remove() }
        try registry.importCSV(Self.csv)
        let cache = IndexCache(folder: registry.folder.appendingPathComponent("cache"))
        let first = try cache.index(of: registry.store)
        let mark = try #require(try registry.store.historyMark())
        let file = cache.folder.appendingPathComponent("registry-index-\(mark).bin")
        #expect(FileManager.default.fileExists(atPath: file.path))
        #expect(Self.answers(first) == Self.answers(try registry.store.loadIndex()))

        let other = RegistrationIndex(rows: [IndexRow(network: try IPNetwork(parsing: "11.0.0.0/8"), status: .suspended, registrant: "R-OTHER", caseID: nil, validFrom: 0)])
        try Data(other.archived(mark: mark)).write(to: file)
        #expect(try cache.index(of: registry.store).state(of: ip("11.0.0.0"), at: 1).registrant == "R-OTHER", "read from the file")

        // A new row: a new mark, a new file, the old one gone.
        try registry.store.recordChange(
            of: ip("10.1.0.1"), to: .suspended, at: time("2026-07-01T00:00:00Z"), cause: "test", source: "engine", caseID: "C-2",
            provisional: false)
        let newMark = try #require(try registry.store.historyMark())
        #expect(newMark != mark)
        let after = try cache.index(of: registry.store)
        #expect(after.state(of: ip("10.1.0.1"), at: time("2026-08-01T00:00:00Z")).status == .suspended)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.folder.path) == ["registry-index-\(newMark).bin"])

        // A damaged file is not believed, and is made again.
        let newFile = cache.folder.appendingPathComponent("registry-index-\(newMark).bin")
        var bytes = Array(try Data(contentsOf: newFile))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: newFile)
        #expect(Self.answers(try cache.index(of: registry.store)) == Self.answers(try registry.store.loadIndex()))
        #expect(Array(try Data(contentsOf: newFile)) != bytes, "written again")
    }

    @Test(arguments: Backend.allCases) func anEmptyRegistryHasNoMarkAndNoFile(_ backend: Backend) throws {
        let registry = try TestRegistry(backend)
        defer { registry.remove() }
        let cache = IndexCache(folder: registry.folder.appendingPathComponent("cache"))
        #expect(try registry.store.historyMark() == nil)
        #expect(try cache.index(of: registry.store).networkCount == 0)
        #expect(!FileManager.default.fileExists(atPath: cache.folder.path))
    }
}
