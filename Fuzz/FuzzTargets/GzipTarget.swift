import Foundation
import LogParsers

/// The reader of shipped files: gzip layers unwrapped by magic bytes (ISA-L inflate, member
/// after member, CRC and length checked) and split into lines. Any input ends in lines or
/// an `InputError`; lines never overlap or run past what was produced.
enum GzipTarget {
    static let target = FuzzTarget(name: "gzip", run: run, seeds: seeds)

    static func run(_ data: UnsafeRawBufferPointer) {
        guard let (source, _) = try? LogInput.open(bytes: Array(data), name: "fuzz") else { return }
        let reader = LineReader(source: source, maxLineLength: 4096)
        var expected: UInt64 = 0
        // A corrupt stream ends with an InputError after the lines before it: both are fine.
        try? reader.forEachLine { line in
            precondition(line.offset >= expected, "lines overlap: \(line.offset) < \(expected)")
            expected = line.offset + UInt64(line.bytes.count)
        }
        precondition(reader.bytesRead <= source.bytesProduced, "more bytes read than produced")
    }

    static func seeds(_ repository: URL) throws -> [(name: String, bytes: [UInt8])] {
        let log = Array("Nov 28 01:00:00 mx postfix/smtpd[1]: connect from a.example[192.0.2.1]\nNov 28 01:00:01 mx postfix/smtpd[1]: disconnect from a.example[192.0.2.1]\n".utf8)
        let member = try gzip(log)
        return [("plain", log), ("member", member), ("two-members", member + member), ("padded", member + [0, 0, 0, 0]), ("twice", try gzip(member))]
    }

    /// `gzip -n` of `bytes`.
    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-n", "-c"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(bytes))
        try input.fileHandleForWriting.close()
        let compressed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(compressed)
    }
}
