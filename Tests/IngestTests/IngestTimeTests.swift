@testable import EnforcementEngine
import Foundation
import LogParsers
import Primitives
import Testing

/// Times through ingest: a reporter's zone across both summer-time changes of 2026, and a
/// file shipped after New Year holding the old year's last lines.
struct IngestTimeTests {
    /// Each line a client of its own, so each stored record's first seen is its line's instant.
    static func line(_ stamp: String, _ n: Int) -> String {
        "\(stamp) mx postfix/smtpd[1]: connect from unknown[100.64.0.\(n)]"
    }

    static func firstSeen(_ fixture: IngestFixture) throws -> [String: String] {
        var result: [String: String] = [:]
        try fixture.store.forEachRecord { item in
            result[item.record.ip!.description] = ISOTime.format(millis: item.record.first, fraction: false)
        }
        return result
    }

    /// Europe/Zurich, zone-less stamps: 29 March 2026 (02:00 → 03:00, the hour 02:00–02:59
    /// never happens) and 25 October 2026 (03:00 → 02:00, the hour 02:00–02:59 happens twice:
    /// the lines after the change, stamped earlier than those before it, are its second pass).
    @Test func landsAZurichReportersLinesOnTheRightInstantsAcrossBothChanges() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let stamps: [(String, String)] = [
            ("Mar 29 01:30:00", "2026-03-29T00:30:00Z"),
            ("Mar 29 01:59:59", "2026-03-29T00:59:59Z"),
            ("Mar 29 02:30:00", "2026-03-29T01:30:00Z"),  // skipped: read with the offset before the change
            ("Mar 29 03:00:00", "2026-03-29T01:00:00Z"),
            ("Mar 29 03:30:00", "2026-03-29T01:30:00Z"),
            ("Oct 25 01:30:00", "2026-10-24T23:30:00Z"),
            ("Oct 25 02:10:00", "2026-10-25T00:10:00Z"),  // first pass (summer time, +02:00)
            ("Oct 25 02:50:00", "2026-10-25T00:50:00Z"),
            ("Oct 25 02:05:00", "2026-10-25T01:05:00Z"),  // second pass (standard time, +01:00)
            ("Oct 25 02:40:00", "2026-10-25T01:40:00Z"),
            ("Oct 25 03:10:00", "2026-10-25T02:10:00Z"),
        ]
        let log = stamps.enumerated().map { Self.line($1.0, $0 + 1) }.joined(separator: "\n") + "\n"
        let file = try fixture.write("zurich.log", Array(log.utf8))
        let outcomes = try fixture.ingestor().ingest(files: [file], reporter: fixture.reporter("isp-b"), now: time("2026-11-29T06:00:00Z"))
        #expect(outcomes.map(\.status) == [.ingested])
        let seen = try Self.firstSeen(fixture)
        for (n, (stamp, expected)) in stamps.enumerated() {
            #expect(seen["100.64.0.\(n + 1)"] == expected, "\(stamp) Europe/Zurich")
        }
    }

    /// A file shipped on 2 January holding the last lines of 31 December: those lines land
    /// in the old year, the new year's lines in the new.
    @Test func placesDecemberLinesOfAFileShippedInJanuaryInTheOldYear() throws {
        let fixture = try IngestFixture()
        defer { fixture.remove() }
        let log = [Self.line("Dec 31 23:59:30", 1), Self.line("Jan  1 00:00:30", 2), Self.line("Jan  1 23:00:00", 3)].joined(separator: "\n") + "\n"
        let shipped = Date(timeIntervalSince1970: Double(time("2027-01-02T05:00:00Z") / 1000))
        let file = try fixture.write("new-year.log", Array(log.utf8), modified: shipped)
        let outcomes = try fixture.ingestor().ingest(files: [file], reporter: fixture.reporter("isp-a"), now: time("2027-01-02T06:00:00Z"))
        #expect(outcomes.map(\.status) == [.ingested])
        #expect(outcomes[0].firstEvent == "2026-12-31T23:59:30Z" && outcomes[0].lastEvent == "2027-01-01T23:00:00Z")
        let seen = try Self.firstSeen(fixture)
        #expect(seen == ["100.64.0.1": "2026-12-31T23:59:30Z", "100.64.0.2": "2027-01-01T00:00:30Z", "100.64.0.3": "2027-01-01T23:00:00Z"])
        var days: [String: Int32] = [:]
        try fixture.store.forEachRecord { days[$0.record.ip!.description] = $0.record.day }
        #expect(days["100.64.0.1"] == Int32(time("2026-12-31T00:00:00Z") / 86_400_000), "stored under 31 December 2026")
        #expect(days["100.64.0.2"] == Int32(time("2027-01-01T00:00:00Z") / 86_400_000))
    }
}
