@testable import EnforcementEngine
import Foundation
import GRDB
import LogParsers
import Primitives
import RegistryClient
import Synchronization
import Testing

struct ArchiveCopyTests {
    /// The archive copy is written while the file is read; bytes that are not the ones
    /// identified (the file changed under the reader) leave nothing behind.
    @Test func refusesBytesThatAreNotTheIdentifiedFile() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let archive = LogArchive(dataFolder: fixture.folder)
        let shipped = Array("Nov 28 00:00:01 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]\n".utf8)
        let sha = try sha256Hex(shipped)
        let good = try archive.copy(sha256: sha)
        shipped.withUnsafeBytes { good.write(UnsafeRawBufferPointer(rebasing: $0[0..<10])) }
        shipped.withUnsafeBytes { good.write(UnsafeRawBufferPointer(rebasing: $0[10...])) }
        let stored = try good.commit(path: "mx1.log", compressed: false)
        #expect(try Data(contentsOf: stored) == Data(shipped))
        #expect(stored.lastPathComponent == sha + ".log")

        var changed = shipped
        changed[5] ^= 1
        let otherSHA = try sha256Hex(shipped + [0x0A])
        let bad = try archive.copy(sha256: otherSHA)
        changed.withUnsafeBytes { bad.write($0) }
        #expect(throws: LogArchive.ArchiveError.self) { try bad.commit(path: "mx2.log", compressed: false) }
        #expect(archive.existing(sha256: otherSHA) == nil)
        let folder = archive.path(sha256: otherSHA, compressed: false).deletingLastPathComponent()
        let left = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        #expect(left.allSatisfy { !$0.hasSuffix(".tmp") }, "no temporary copy is left: \(left)")
    }

    /// A sweep (another ingest starting) removes the copies of dead writers and never one
    /// that a live writer is making or putting in place: copies made and committed while
    /// sweeps run without pause all land, and an unlocked leftover goes.
    @Test func sweepsRemoveDeadWritersCopiesAndNeverALiveOne() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let archive = LogArchive(dataFolder: fixture.folder)
        try FileManager.default.createDirectory(at: archive.incoming, withIntermediateDirectories: true)
        let leftover = archive.incoming.appendingPathComponent("\(String(repeating: "0", count: 64)).dead.tmp")
        try Data("half a file".utf8).write(to: leftover)
        #expect(archive.sweep() == 1)
        #expect(!FileManager.default.fileExists(atPath: leftover.path))

        let done = Atomic(false)
        let sweeper = Thread {
            while !done.load(ordering: .relaxed) { archive.sweep() }
        }
        sweeper.start()
        defer { done.store(true, ordering: .relaxed) }
        var failures: [String] = []
        for i in 0..<400 {
            let shipped = Array("line \(i) of a shipped file\n".utf8)
            let sha = try sha256Hex(shipped)
            do {
                let copy = try archive.copy(sha256: sha)
                shipped.withUnsafeBytes { copy.write($0) }
                let stored = try copy.commit(path: "f\(i).log", compressed: false)
                if try Data(contentsOf: stored) != Data(shipped) { failures.append("\(i): wrong bytes") }
            } catch {
                failures.append("\(i): \(error)")
            }
        }
        #expect(failures.count == 0, "\(failures.count) copies lost to a sweep, first: \(failures.first ?? "")")
    }
}

/// SHA-256 (hex) of bytes, through the engine's own digest of a file.
func sha256Hex(_ bytes: [UInt8]) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)")
    try Data(bytes).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    return try Digest.sha256(file: url.path).hex
}
