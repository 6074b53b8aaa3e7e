import Foundation
import FuzzTargets
import TestSupport
import Testing

/// Every input of every fuzz target's corpus (`Fuzz/Corpus/<target>/`: the seeds and each
/// crash a fuzzer ever found) runs through the target here: a crash once found stays fixed.
struct FuzzCorpusTests {
    @Test(arguments: FuzzTarget.all.map(\.name))
    func corpusRunsThroughTheTargetWithoutAFailure(_ name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        let folder = CommandRunner.repository.appendingPathComponent("Fuzz/Corpus/\(name)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
        #expect(!files.isEmpty, "Fuzz/Corpus/\(name) holds seeds (abuse-fuzz seed writes them)")
        for file in files {
            let bytes = try Data(contentsOf: folder.appendingPathComponent(file))
            bytes.withUnsafeBytes { target.run($0) }
        }
    }

    /// The committed seeds are the ones the fixtures give today (`abuse-fuzz seed`).
    @Test(arguments: FuzzTarget.all.map(\.name))
    func seedsAreUpToDate(_ name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        let folder = CommandRunner.repository.appendingPathComponent("Fuzz/Corpus/\(name)")
        for seed in try target.seeds(CommandRunner.repository) {
            let stored = try? Data(contentsOf: folder.appendingPathComponent("seed-\(seed.name)"))
            #expect(stored == Data(seed.bytes), "Fuzz/Corpus/\(name)/seed-\(seed.name) is stale: run `swift run abuse-fuzz seed`")
        }
    }
}
