import Foundation
import LogParsers
import Testing

/// Hostile and broken input: each gives correct events or a clear error with the file
/// and the offset, and none crashes or hangs.
struct BadInputTests {
    @Test func rejectsTruncatedGzipWithOffset() throws {
        let plain = Gzip.connectLines(20_000)
        let compressed = try Gzip.compress(plain)
        let truncated = Array(compressed[0..<(compressed.count / 2)])
        let (events, summary) = try EventCollector.parse(bytes: truncated)
        #expect(!summary.complete)
        #expect(summary.error?.contains("truncated gzip stream") == true, "error: \(summary.error ?? "none")")
        #expect(summary.error?.contains("input.log") == true, "the error names the file")
        let offset = try #require(summary.errorOffset)
        #expect(offset > 0 && offset < UInt64(plain.count))
        #expect(summary.error?.contains("byte \(offset)") == true)
        // Every complete line before the break is delivered, in order, from line 1.
        #expect(events.count > 1000)
        #expect(events.enumerated().allSatisfy { $0.element.source.line == $0.offset + 1 })
        #expect(events.allSatisfy { $0.source.offset < offset })
    }

    @Test func rejectsCorruptGzipCRC() throws {
        let plain = Gzip.connectLines(500)
        var compressed = try Gzip.compress(plain)
        compressed[compressed.count - 8] ^= 0xFF  // first CRC-32 byte of the trailer
        let (events, summary) = try EventCollector.parse(bytes: compressed)
        #expect(!summary.complete)
        #expect(summary.error?.contains("corrupt gzip stream") == true, "error: \(summary.error ?? "none")")
        #expect(summary.errorOffset == UInt64(plain.count), "the data was all inflated before the check failed")
        #expect(events.count == 500)
    }

    @Test func rejectsAWrongLengthInTheTrailer() throws {
        let plain = Gzip.connectLines(500)
        var compressed = try Gzip.compress(plain)
        compressed[compressed.count - 4] ^= 0x01  // ISIZE, the length modulo 2^32
        let (events, summary) = try EventCollector.parse(bytes: compressed)
        #expect(!summary.complete)
        #expect(summary.error?.contains("corrupt gzip stream") == true, "error: \(summary.error ?? "none")")
        #expect(events.count == 500)
    }

    @Test func readsMembersWithExtraNameAndCommentFields() throws {
        // FLG = FEXTRA | FNAME | FCOMMENT, as `gzip -N` and other tools write them.
        func decorated(_ member: [UInt8], name: String) -> [UInt8] {
            var header = Array(member[0..<10])
            header[3] = 0x04 | 0x08 | 0x10
            let extra: [UInt8] = [0x41, 0x42, 0x02, 0x00, 0x07, 0x09]
            return header + [UInt8(extra.count), 0] + extra + Array(name.utf8) + [0] + Array("a comment".utf8) + [0] + member[10...]
        }
        let first = decorated(try Gzip.compress(Gzip.connectLines(300)), name: "mx1.log")
        let second = decorated(try Gzip.compress(Gzip.connectLines(200)), name: "mx2.log")
        let (events, summary) = try EventCollector.parse(bytes: first + second)
        #expect(summary.complete, "error: \(summary.error ?? "none")")
        #expect(events.count == 500)
    }

    @Test func rejectsCorruptDeflateData() throws {
        var compressed = try Gzip.compress(Gzip.connectLines(2000))
        for i in stride(from: compressed.count / 2, to: compressed.count / 2 + 16, by: 1) { compressed[i] = 0xFF }
        let (_, summary) = try EventCollector.parse(bytes: compressed)
        #expect(!summary.complete)
        #expect(summary.error != nil)
    }

    @Test func readsMultiMemberGzipWhole() throws {
        let first = try Gzip.compress(Gzip.connectLines(300))
        let second = try Gzip.compress(Gzip.connectLines(200))
        let (events, summary) = try EventCollector.parse(bytes: first + second)
        #expect(summary.complete)
        #expect(summary.compressed)
        #expect(events.count == 500)
        #expect(summary.lines == 500)
    }

    @Test func unwrapsAFileCompressedTwice() throws {
        let twice = try Gzip.compress(try Gzip.compress(Gzip.connectLines(100)))
        let (events, summary) = try EventCollector.parse(bytes: twice)
        #expect(summary.complete)
        #expect(events.count == 100)
    }

    @Test func rejectsGarbageAfterTheLastMember() throws {
        let compressed = try Gzip.compress(Gzip.connectLines(10)) + Array("not gzip".utf8)
        let (events, summary) = try EventCollector.parse(bytes: compressed)
        #expect(events.count == 10)
        #expect(!summary.complete)
        #expect(summary.error?.contains("trailing garbage") == true)
    }

    @Test func acceptsNULPaddingAfterTheLastMember() throws {
        let compressed = try Gzip.compress(Gzip.connectLines(10)) + [UInt8](repeating: 0, count: 512)
        let (events, summary) = try EventCollector.parse(bytes: compressed)
        #expect(events.count == 10)
        #expect(summary.complete)
    }

    @Test func countsRandomBinaryAsUnparsedWithoutCrashing() throws {
        var state: UInt64 = 12345
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
        for i in bytes.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
        }
        let (events, summary) = try EventCollector.parse(bytes: bytes)
        #expect(summary.complete)
        #expect(events.isEmpty)
        #expect(summary.bytes == UInt64(bytes.count))
        #expect(summary.unparsed > 0)
    }

    @Test func skipsATenMegabyteLineWithoutNewline() throws {
        let good = Array("Nov 28 01:00:00 mx postfix/smtpd[1]: connect from a[192.0.2.1]\n".utf8)
        let huge = [UInt8](repeating: UInt8(ascii: "x"), count: 10 << 20)
        let (events, summary) = try EventCollector.parse(bytes: good + huge)
        #expect(events.count == 1)
        #expect(summary.oversized == 1)
        #expect(summary.oversizedLines == [2])
        #expect(summary.bytes == UInt64(good.count + huge.count))
        #expect(summary.complete)
    }

    @Test func goesOnAfterAnOversizedLine() throws {
        let good = Array("Nov 28 01:00:00 mx postfix/smtpd[1]: connect from a[192.0.2.1]\n".utf8)
        let huge = [UInt8](repeating: UInt8(ascii: "y"), count: 200_000) + [0x0A]
        let (events, summary) = try EventCollector.parse(bytes: huge + good)
        #expect(events.count == 1)
        #expect(events.first?.source.line == 2)
        #expect(events.first?.source.offset == UInt64(huge.count))
        #expect(summary.oversized == 1)
    }

    @Test func replacesInvalidUTF8InFieldsAndKeepsJSONValid() throws {
        var line = Array("Nov 28 01:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 550 5.1.1 <a@b>: Recipient address rejected: User unknown; from=<".utf8)
        line += [0xFF, 0xFE, 0xC3]
        line += Array("@x> to=<a@b> proto=ESMTP helo=<\u{1}\"evil\\\u{7f}>\n".utf8)
        var writer = EventJSONWriter()
        writer.setFile("input.log")
        var out: [UInt8] = []
        let url = try TemporaryFile.write(line)
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try LogFileParser(options: .fixed).parse(path: url.path) { writer.append($0, to: &out) }
        let object = try JSONSerialization.jsonObject(with: Data(out)) as? [String: Any]
        #expect(object?["sender"] as? String == "\u{FFFD}\u{FFFD}\u{FFFD}@x")
        #expect(object?["helo"] as? String == "\u{1}\"evil\\\u{7f}")
        #expect(object?["client_ip"] as? String == "192.0.2.1")
    }

    @Test func readsCRLFLineEndings() throws {
        let text = "Nov 28 01:00:00 mx postfix/smtpd[1]: connect from a.example[192.0.2.1]\r\nNov 28 01:00:01 mx postfix/smtpd[1]: disconnect from a.example[192.0.2.1] ehlo=1 quit=1 commands=2\r\n"
        let (events, _) = try EventCollector.parse(text: text)
        #expect(events.map(\.kind) == [.connect, .disconnect])
        #expect(events.allSatisfy { $0.clientName == "a.example" })
        #expect(events.last?.source.offset == 72, "the second line starts after the first's CR LF")
    }

    @Test func readsAnEmptyFile() throws {
        let (events, summary) = try EventCollector.parse(bytes: [])
        #expect(events.isEmpty)
        #expect(summary.lines == 0)
        #expect(summary.complete)
    }

    @Test func readsTheLastLineWithoutNewline() throws {
        let (events, summary) = try EventCollector.parse(text: "Nov 28 01:00:00 mx postfix/smtpd[1]: connect from a[192.0.2.1]")
        #expect(events.count == 1)
        #expect(summary.lines == 1)
    }

    @Test func carriesNULBytesInsideFields() throws {
        var line = Array("Nov 28 01:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 550 5.1.1 <a@b>: User unknown; from=<a@b> to=<a@b> proto=ESMTP helo=<x".utf8)
        line += [0, 0]
        line += Array("y>\n".utf8)
        let (events, _) = try EventCollector.parse(bytes: line)
        #expect(events.first?.helo == "x\u{0}\u{0}y")
        #expect(events.first?.clientIP?.description == "192.0.2.1")
    }

    @Test func failsClearlyOnAMissingFile() {
        #expect(throws: InputError.self) {
            try LogFileParser(options: .fixed).parse(path: "/nonexistent/abuse-ingest.log") { _ in }
        }
    }
}
