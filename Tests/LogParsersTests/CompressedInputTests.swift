import Foundation
import LogParsers
import Testing
import TestSupport

/// zstd, xz and bzip2 beside gzip (FORMATS.md §10): compressed by Debian's own tools, told
/// apart by magic bytes, read whole across frames and streams, with the same truncation
/// and corruption errors (file and offset) as gzip.
struct CompressedInputTests {
    enum Tool: String, CaseIterable, CustomTestStringConvertible {
        case zstd, xz, bzip2

        var package: String { self == .xz ? "xz-utils" : rawValue }
        var testDescription: String { rawValue }
        /// `zstd -q -c` writes a content checksum by default, as `xz` (CRC-64) and `bzip2` do.
        var arguments: [String] { self == .zstd ? ["-q", "-c", "-3"] : ["-c"] }

        func compress(_ bytes: [UInt8]) throws -> [UInt8] {
            let program = try Requirement.program(rawValue, debianPackage: package)
            let input = try TemporaryFile.write(bytes, suffix: ".plain")
            defer { try? FileManager.default.removeItem(at: input) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments + [input.path]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "\(rawValue) failed")
            return [UInt8](data)
        }
    }

    @Test(arguments: Tool.allCases) func readsTheSameEventsAsPlain(tool: Tool) throws {
        let plain = Gzip.connectLines(5_000)
        let (expected, plainSummary) = try EventCollector.parse(bytes: plain)
        let (events, summary) = try EventCollector.parse(bytes: try tool.compress(plain))
        #expect(summary.complete && summary.error == nil, "\(summary.error ?? "")")
        #expect(plainSummary.complete && events.count == 5_000)
        #expect(events.map(\.clientIP) == expected.map(\.clientIP) && events.map(\.source.offset) == expected.map(\.source.offset))
    }

    @Test(arguments: Tool.allCases) func readsConcatenatedStreamsWhole(tool: Tool) throws {
        let first = Gzip.connectLines(300)
        let second = Gzip.connectLines(200)
        let (events, summary) = try EventCollector.parse(bytes: try tool.compress(first) + tool.compress(second))
        #expect(summary.complete, "\(summary.error ?? "")")
        #expect(events.count == 500)
    }

    @Test(arguments: Tool.allCases) func rejectsATruncatedStreamWithTheOffset(tool: Tool) throws {
        let plain = Gzip.connectLines(40_000)
        let compressed = try tool.compress(plain)
        let (events, summary) = try EventCollector.parse(bytes: Array(compressed[0..<(compressed.count * 3 / 4)]))
        #expect(!summary.complete)
        #expect(summary.error?.contains("truncated compressed stream") == true && summary.error?.contains(tool.rawValue) == true, "\(summary.error ?? "none")")
        #expect(summary.error?.contains("input.log") == true, "the error names the file")
        let offset = try #require(summary.errorOffset)
        #expect(offset < UInt64(plain.count) && summary.error?.contains("byte \(offset)") == true)
        // What came before the break is delivered in order; nothing past it.
        #expect(events.enumerated().allSatisfy { $0.element.source.line == $0.offset + 1 })
        #expect(events.allSatisfy { $0.source.offset < offset })
    }

    @Test(arguments: Tool.allCases) func rejectsCorruptDataAndNeverDeliversPastIt(tool: Tool) throws {
        let plain = Gzip.connectLines(20_000)
        var compressed = try tool.compress(plain)
        for k in stride(from: compressed.count / 2, to: compressed.count / 2 + 64, by: 1) { compressed[k] ^= 0x5A }
        let (events, summary) = try EventCollector.parse(bytes: compressed)
        #expect(!summary.complete)
        #expect(summary.error?.contains("corrupt compressed stream") == true || summary.error?.contains("truncated compressed stream") == true, "\(summary.error ?? "none")")
        #expect(events.count < 20_000)
    }

    @Test(arguments: Tool.allCases) func rejectsGarbageAfterTheLastStream(tool: Tool) throws {
        let compressed = try tool.compress(Gzip.connectLines(50)) + Array("this is not compressed at all, surely".utf8)
        let (_, summary) = try EventCollector.parse(bytes: compressed)
        #expect(!summary.complete && summary.error != nil, "bytes after the stream are refused, never read as lines")
    }

    @Test func unwrapsGzipInsideZstd() throws {
        let plain = Gzip.connectLines(400)
        let (events, summary) = try EventCollector.parse(bytes: try Tool.zstd.compress(try Gzip.compress(plain)))
        #expect(summary.complete && events.count == 400)
    }

    @Test func recognisesEachCompressionByItsMagicOnly() {
        #expect(LogInput.Compression.of([0x1F, 0x8B, 8, 0]) == .gzip)
        #expect(LogInput.Compression.of([0x28, 0xB5, 0x2F, 0xFD, 0x24, 0]) == .zstd)
        #expect(LogInput.Compression.of([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) == .xz)
        #expect(LogInput.Compression.of(Array("BZh9".utf8)) == .bzip2)
        // A log line that starts like bzip2 but is not: no block-size digit.
        #expect(LogInput.Compression.of(Array("BZh host".utf8)) == nil)
        #expect(LogInput.Compression.of(Array("Nov 28".utf8)) == nil)
    }
}
