@testable import EnforcementEngine
import Foundation
import GRDB
import LogParsers
import Primitives
import RegistryClient
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
}

/// SHA-256 (hex) of bytes, through the engine's own digest of a file.
func sha256Hex(_ bytes: [UInt8]) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)")
    try Data(bytes).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    return try Digest.sha256(file: url.path).hex
}
