import Foundation
import LogParsers
import Primitives
import TestSupport
import Testing

/// The real-world fail2ban samples in ../shared/corpus/fail2ban: every `match: true` line
/// must give a failure-kind event for its host at its local time, and no `match: false`
/// line may give one for its host.
struct Fail2banCorpusTests {
    struct Expectation: Decodable {
        var file: String
        var lineno: Int
        var line: String
        var match: Bool
        var host: String?
        var time: String?
        var filter_modes: [String]?
    }

    static let files = ["postfix", "exim", "exim-spam", "sendmail-auth", "sendmail-reject", "courier-smtp", "qmail"]
    static let failureKinds: Set<EventKind> = [.rejected, .deferred, .authFailed, .lostConnection, .protocolError]

    /// Lines where this parser and the annotation part ways for a stated reason.
    static let exceptions: [String: [Int: String]] = [
        "postfix": [
            82: "fail2ban modes disagree: the same 'improper command pipelining' text is a failure at line 57 (default modes) and not one here (mode errors); we count it as a protocol error",
            147: "fail2ban modes disagree: 'Invalid authentication mechanism' is false in mode auth here and true in mode aggressive at line 152; we count it as a failed authentication",
            158: "not a connection event: 'hostname … does not resolve to address' is Postfix's DNS check of a peer, which refuses nothing by itself (fail2ban aggressive mode only)",
        ],
        "exim": [
            122: "not a connection event: 'no host name found for IP address' is Exim's note of a failed reverse lookup, nothing was refused; fail2ban's own normal mode says false for the same text (line 110)",
            124: "not a connection event: 'no IP address found for host' notes a failed forward lookup, nothing was refused; false for the same text in fail2ban's normal mode (line 112)",
            126: "not a connection event: as line 124; false for the same text in fail2ban's normal mode (line 114)",
        ],
    ]

    @Test func corpusLinesGiveTheExpectedEvents() throws {
        let corpus = try Requirement.shared("corpus/fail2ban")
        let expectedData = try Data(contentsOf: corpus.appendingPathComponent("expected.jsonl"))
        let expectations = try expectedData.split(separator: UInt8(ascii: "\n")).map {
            try JSONDecoder().decode(Expectation.self, from: Data($0))
        }
        let options = ParseOptions(referenceMillis: ISOTime.parse("2005-08-14T23:59:59Z")!, timeZone: TimeZone(identifier: "UTC"))
        for file in Self.files {
            let path = corpus.appendingPathComponent(file).path
            let (events, _) = try EventCollector.parse(path: path, options: options, name: file)
            var byLine: [Int: [ConnectionEvent]] = [:]
            for event in events { byLine[event.source.line, default: []].append(event) }
            let cases = expectations.filter { $0.file == file }
            let exceptions = Self.exceptions[file] ?? [:]
            var passed = 0
            var excepted = 0
            for expectation in cases {
                let host = expectation.host?.lowercased()
                let failures = (byLine[expectation.lineno] ?? []).filter {
                    Self.failureKinds.contains($0.kind) && (host == nil || $0.clientIP?.description.lowercased() == host)
                }
                let ok: Bool
                var problem = ""
                if expectation.match {
                    if let event = failures.first {
                        let expectedTime = expectation.time.map { Self.normalise($0) }
                        let actualTime = event.timeText.map { String($0.dropLast()) }  // drop the Z
                        ok = expectedTime == nil || expectedTime == actualTime
                        if !ok { problem = "time \(actualTime ?? "nil") != \(expectedTime ?? "nil")" }
                    } else {
                        ok = false
                        problem = "no failure event for \(host ?? "?"); got \(byLine[expectation.lineno]?.map { "\($0.kind) \($0.clientIP?.description ?? "-")" } ?? [])"
                    }
                } else {
                    ok = failures.isEmpty
                    if !ok { problem = "unexpected \(failures.map { "\($0.kind) \($0.clientIP?.description ?? "-")" })" }
                }
                if ok {
                    passed += 1
                    #expect(exceptions[expectation.lineno] == nil, "\(file):\(expectation.lineno) is listed as an exception but passes: remove it")
                } else if exceptions[expectation.lineno] != nil {
                    excepted += 1
                } else {
                    Issue.record("\(file):\(expectation.lineno): \(problem)\n  \(expectation.line)")
                }
            }
            // At most 5 % of a file's annotated lines, rounded up to whole lines.
            let allowed = Int((Double(cases.count) * 0.05).rounded(.up))
            #expect(excepted <= allowed, "\(file): \(excepted) exceptions, at most \(allowed) allowed")
            print("corpus \(file): \(passed)/\(cases.count) pass, \(excepted) named exceptions")
        }
    }

    /// `2005-03-7T02:09:33` → `2005-03-07T02:09:33`; fractions cut to milliseconds.
    static func normalise(_ time: String) -> String {
        let parts = time.split(separator: "T")
        let date = parts[0].split(separator: "-").map { $0.count == 1 ? "0\($0)" : String($0) }.joined(separator: "-")
        var clock = String(parts[1])
        if let dot = clock.firstIndex(of: ".") {
            let fraction = clock[clock.index(after: dot)...]
            clock = String(clock[..<dot]) + "." + String((fraction + "000").prefix(3))
        }
        return date + "T" + clock
    }
}
