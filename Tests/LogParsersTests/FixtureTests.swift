import Foundation
import LogParsers
import Primitives
import Testing

/// Each folder under `Fixtures/` holds `input.log` and the JSON Lines `parse` must print
/// for it (`expected.jsonl`), reviewed by hand; `options.json` may set the time zone.
struct FixtureTests {
    static let fixtures: [String] = [
        "postfix", "exim", "sendmail", "opensmtpd", "courier", "qmail", "mixed-syslog", "journald", "exchange", "postfix-loop", "exim-loop",
    ]

    static func folder(_ name: String) -> URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    @Test(arguments: fixtures)
    func fixtureGivesExpectedEvents(name: String) throws {
        let folder = Self.folder(name)
        // options.json: "timezone" (IANA) and "reference_time" (for timestamps without a year).
        var timeZone: TimeZone?
        var reference = ParseOptions.fixed.referenceMillis
        if let data = try? Data(contentsOf: folder.appendingPathComponent("options.json")),
            let options = try JSONSerialization.jsonObject(with: data) as? [String: String]
        {
            timeZone = options["timezone"].flatMap(TimeZone.init(identifier:))
            if let time = options["reference_time"] {
                let parsed: Int64 = try #require(ISOTime.parse(time), "\(name): reference_time \(time)")
                reference = parsed
            }
        }
        let options = ParseOptions(referenceMillis: reference, timeZone: timeZone)
        var writer = EventJSONWriter()
        writer.setFile("input.log")
        var output: [UInt8] = []
        _ = try LogFileParser(options: options).parse(path: folder.appendingPathComponent("input.log").path, name: "input.log") { event in
            writer.append(event, to: &output)
        }
        let actual = String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
        let expected = try String(contentsOf: folder.appendingPathComponent("expected.jsonl"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(actual.count == expected.count, "\(name): \(actual.count) events, expected \(expected.count)")
        for (index, (got, want)) in zip(actual, expected).enumerated() {
            #expect(got == want, "\(name) event \(index + 1) differs")
        }
    }

    /// The fast JSON writer of `parse` and the typed event agree: every event of every
    /// fixture, printed, decodes to the event `materialize` copies, and that encodes back to
    /// the same bytes.
    @Test(arguments: fixtures)
    func printedEventsAreTheTypedEvents(name: String) throws {
        var writer = EventJSONWriter()
        writer.setFile("input.log")
        var printed: [[UInt8]] = []
        var typed: [ConnectionEvent] = []
        _ = try LogFileParser(options: .fixed).parse(path: Self.folder(name).appendingPathComponent("input.log").path, name: "input.log") { event in
            var line: [UInt8] = []
            writer.append(event, to: &line)
            printed.append(Array(line.dropLast()))
            typed.append(event.materialize(file: "input.log"))
        }
        #expect(!typed.isEmpty)
        for (line, event) in zip(printed, typed) {
            #expect(try JSONDecoder().decode(ConnectionEvent.self, from: Data(line)) == event, "\(String(decoding: line, as: UTF8.self))")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            let again = try JSONDecoder().decode(ConnectionEvent.self, from: encoder.encode(event))
            #expect(again == event)
        }
    }
}
