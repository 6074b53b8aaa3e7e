import Foundation
import LogParsers
import Primitives

/// Parses a file or a string with the library and keeps every event as a value.
enum EventCollector {
    static func parse(path: String, options: ParseOptions, name: String? = nil) throws -> (events: [ConnectionEvent], summary: FileSummary) {
        var events: [ConnectionEvent] = []
        let summary = try LogFileParser(options: options).parse(path: path, name: name) { event in
            events.append(event.materialize(file: name ?? path))
        }
        return (events, summary)
    }

    /// Writes `text` to a temporary file and parses it.
    static func parse(text: String, options: ParseOptions = .fixed) throws -> (events: [ConnectionEvent], summary: FileSummary) {
        try parse(bytes: Array(text.utf8), options: options)
    }

    static func parse(bytes: [UInt8], options: ParseOptions = .fixed) throws -> (events: [ConnectionEvent], summary: FileSummary) {
        let url = try TemporaryFile.write(bytes)
        defer { try? FileManager.default.removeItem(at: url) }
        return try parse(path: url.path, options: options, name: "input.log")
    }
}

extension ParseOptions {
    /// A fixed reference (2026-11-29T00:00:00Z, UTC) so fixtures give the same years everywhere.
    static let fixed = ParseOptions(referenceMillis: ISOTime.parse("2026-11-29T00:00:00Z")!, timeZone: nil)
}

enum TemporaryFile {
    static func write(_ bytes: [UInt8], suffix: String = ".log") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-test-\(UUID().uuidString)\(suffix)")
        try Data(bytes).write(to: url)
        return url
    }
}
