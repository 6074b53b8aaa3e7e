import Foundation
import LogParsers
import Primitives

/// Every MTA parser's line entry point: the first byte picks the format (auto, or one MTA
/// forced), the rest is log text. Events must point inside the input, carry canonical
/// addresses, and always print as valid JSON.
enum ParseTarget {
    static let formats: [MTA?] = [nil] + MTA.allCases

    static let target = FuzzTarget(name: "parse", run: run, seeds: seeds)

    static func run(_ data: UnsafeRawBufferPointer) {
        guard let selector = data.first else { return }
        let format = formats[Int(selector) % formats.count]
        let bytes = Array(data.dropFirst())
        let options = ParseOptions(format: format, referenceMillis: 1_795_910_400_000, timeZone: TimeZone(identifier: "Europe/Zurich"))
        var writer = EventJSONWriter()
        writer.setFile("fuzz")
        var json: [UInt8] = []
        var previousLine = 0
        let summary = LogFileParser(options: options).parse(bytes: bytes, name: "fuzz") { event in
            precondition(event.line >= 1 && event.offset < UInt64(max(bytes.count, 1)), "an event outside the input: line \(event.line), offset \(event.offset)")
            precondition(event.line >= previousLine - 1_000, "events far behind the line read")
            previousLine = max(previousLine, event.line)
            if let ip = event.clientIP { precondition(IPAddress(ip.description) == ip, "a client address that does not read back: \(ip)") }
            json.removeAll(keepingCapacity: true)
            writer.append(event, to: &json)
            precondition((try? JSONSerialization.jsonObject(with: Data(json))) != nil, "invalid JSON: \(String(decoding: json, as: UTF8.self))")
        }
        precondition(summary.lines <= bytes.count + 1 && summary.bytes <= UInt64(bytes.count), "more lines or bytes than the input holds")
    }

    static func seeds(_ repository: URL) throws -> [(name: String, bytes: [UInt8])] {
        let fixtures = repository.appendingPathComponent("Tests/LogParsersTests/Fixtures")
        var seeds: [(String, [UInt8])] = []
        for folder in try FileManager.default.contentsOfDirectory(atPath: fixtures.path).sorted() {
            let input = try String(contentsOf: fixtures.appendingPathComponent("\(folder)/input.log"), encoding: .utf8)
            let lines = input.split(separator: "\n", omittingEmptySubsequences: false).prefix(40).joined(separator: "\n") + "\n"
            let selector = formats.firstIndex { $0?.rawValue == folder } ?? 0
            seeds.append((folder, [UInt8(selector)] + Array(lines.utf8)))
        }
        return seeds
    }
}
