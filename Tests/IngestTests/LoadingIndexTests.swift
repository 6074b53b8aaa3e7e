@testable import EnforcementEngine
import Foundation
import GRDB
import LogParsers
import RegistryClient
import Testing

struct LoadingIndexTests {
    /// Files read while the registry is still loading give exactly what they give with the
    /// registry loaded first (events wait for it, in order).
    @Test func ingestsTheSameWhileTheRegistryLoads() throws {
        let files = (1...2).map { n in (name: "mx\(n).log.gz", bytes: try! TestLog.gzip(TestLog.postfix(lines: 30_000, seed: UInt64(n)))) }
        func run(_ make: (IngestFixture) throws -> Ingestor) throws -> [String] {
            let fixture = try IngestFixture()
            defer { fixture.remove() }
            let paths = try files.map { try fixture.write($0.name, $0.bytes) }
            let outcomes = try make(fixture).ingest(files: paths, reporter: fixture.reporter("isp-a"), now: time("2026-11-29T06:00:00Z"))
            #expect(outcomes.map(\.status) == [.ingested, .ingested])
            return try fixture.snapshot()
        }
        let loadedFirst = try run { try $0.ingestor() }
        let loadedLate = try run { fixture in
            let registry = fixture.store.registry
            let slow = LoadingIndex {
                Thread.sleep(forTimeInterval: 0.3)
                return try registry.loadIndex()
            }
            return Ingestor(store: fixture.store, loading: slow, options: .init(dataFolder: fixture.folder))
        }
        #expect(loadedFirst.count > 100)
        #expect(loadedLate == loadedFirst)
    }

    /// A registry that cannot be loaded stops ingest before anything is committed.
    @Test func storesNothingWhenTheRegistryCannotBeLoaded() throws {
        struct Unreadable: Error {}
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let path = try fixture.write("mx1.log.gz", try TestLog.gzip(TestLog.postfix(lines: 2000)))
        let ingestor = Ingestor(store: fixture.store, loading: LoadingIndex { throw Unreadable() }, options: .init(dataFolder: fixture.folder))
        #expect(throws: Ingestor.StoreFailure.self) {
            try ingestor.ingest(files: [path], reporter: fixture.reporter("isp-a"), now: time("2026-11-29T06:00:00Z"))
        }
        #expect(try fixture.count("SELECT COUNT(*) FROM shipment") == 0)
        #expect(try fixture.count("SELECT COUNT(*) FROM segment_block") == 0)
    }
}
