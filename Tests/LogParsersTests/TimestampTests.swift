import Foundation
import LogParsers
import Primitives
import Testing

struct TimestampTests {
    static func times(_ lines: [String], reference: String, zone: String? = nil) throws -> [String?] {
        let options = ParseOptions(referenceMillis: ISOTime.parse(reference)!, timeZone: zone.flatMap(TimeZone.init(identifier:)))
        let text = lines.map { $0 + "\n" }.joined()
        return try EventCollector.parse(text: text, options: options).events.map(\.timeText)
    }

    @Test func readsSingleDigitDaysWithOneOrTwoSpaces() throws {
        let got = try Self.times(
            [
                "Nov  8 03:14:15 mx postfix/smtpd[1]: connect from a[192.0.2.1]",
                "Nov 8 03:14:16 mx postfix/smtpd[1]: connect from a[192.0.2.1]",
            ], reference: "2026-11-29T00:00:00Z")
        #expect(got == ["2026-11-08T03:14:15Z", "2026-11-08T03:14:16Z"])
    }

    @Test func infersTheYearAcrossTheDecemberToJanuaryTurn() throws {
        let got = try Self.times(
            [
                "Dec 31 23:59:58 mx postfix/smtpd[1]: connect from a[192.0.2.1]",
                "Jan  1 00:00:02 mx postfix/smtpd[1]: connect from a[192.0.2.1]",
            ], reference: "2027-01-01T06:00:00Z")
        #expect(got == ["2026-12-31T23:59:58Z", "2027-01-01T00:00:02Z"])
    }

    @Test func placesStampsAfterTheReferenceInThePreviousYear() throws {
        let got = try Self.times(["Aug 15 00:00:00 mx postfix/smtpd[1]: connect from a[192.0.2.1]"], reference: "2005-08-14T23:59:59Z")
        #expect(got == ["2004-08-15T00:00:00Z"])
    }

    @Test func givesFebruaryTwentyNinthTheLatestLeapYear() throws {
        let got = try Self.times(["Feb 29 12:00:00 mx postfix/smtpd[1]: connect from a[192.0.2.1]"], reference: "2026-11-29T00:00:00Z")
        #expect(got == ["2024-02-29T12:00:00Z"])
    }

    @Test func readsRFC3339WithFractionAndOffset() throws {
        let got = try Self.times(
            [
                "2026-11-28T03:14:15.123456+01:00 mx postfix/smtpd[1]: connect from a[192.0.2.1]",
                "2026-11-28T03:14:15-05:30 mx postfix/smtpd[1]: connect from a[192.0.2.1]",
                "2026-11-28T03:14:15Z mx postfix/smtpd[1]: connect from a[192.0.2.1]",
            ], reference: "2026-11-29T00:00:00Z")
        #expect(got == ["2026-11-28T02:14:15.123Z", "2026-11-28T08:44:15Z", "2026-11-28T03:14:15Z"])
    }

    @Test func readsEximStampsWithMillisecondsAndOffset() throws {
        let got = try Self.times(
            [
                "2026-11-28 03:14:15.250 +0200 H=[192.0.2.1] rejected RCPT <a@b>: Unknown user",
                "2026-11-28 03:14:16 H=[192.0.2.1] rejected RCPT <a@b>: Unknown user",
            ], reference: "2026-11-29T00:00:00Z")
        #expect(got == ["2026-11-28T01:14:15.250Z", "2026-11-28T03:14:16Z"])
    }

    @Test func convertsZonelessTimesFromTheGivenZoneAcrossSummerTime() throws {
        let got = try Self.times(
            [
                "Jul 14 12:00:00 mx postfix/smtpd[1]: connect from a[192.0.2.1]",
                "Nov 28 12:00:00 mx postfix/smtpd[1]: connect from a[192.0.2.1]",
            ], reference: "2026-11-29T00:00:00Z", zone: "Europe/Zurich")
        #expect(got == ["2026-07-14T10:00:00Z", "2026-11-28T11:00:00Z"])
    }

    @Test func parsesCommandLineTimes() {
        #expect(ISOTime.parse("2026-11-28T03:14:15Z") == 1_795_835_655_000)
        #expect(ISOTime.parse("2026-11-28T04:14:15+01:00") == 1_795_835_655_000)
        #expect(ISOTime.parse("2026-11-28") == 1_795_824_000_000)
        #expect(ISOTime.parse("2026-11-28T03:14:15") == nil, "a time without a zone is ambiguous")
        #expect(ISOTime.parse("yesterday") == nil)
    }
}

extension TimestampTests {
    /// Consecutive lines that start with the same bytes reuse the stamp read before; a line
    /// parsed among others gets the time it gets alone.
    @Test func readsEachLineTheSameAmongOthersAsAlone() {
        let stamps = [
            "Nov 28 10:00:00", "Nov 28 10:00:00", "Nov 28 10:00:00.250", "Nov 28 10:00:00.250", "Nov 28 10:00:00",
            "Nov 28 10:00:01", "2026-11-28T10:00:01.250+01:00", "2026-11-28T10:00:01.250+01:00", "2026-11-28T10:00:01.25+01:00",
            "2026-11-28T10:00:01.250+01:30", "2026-11-28T10:00:01Z", "2026-11-28 10:00:02", "2026-11-28 10:00:02", "<22>Nov 28 10:00:03",
            "<22>Nov 28 10:00:03", "Nov 28 10:00:03", "Nov  8 10:00:03", "Nov  8 10:00:03",
        ]
        let lines = stamps.enumerated().map { n, stamp in "\(stamp) mx1 postfix/smtpd[\(n + 1)]: connect from host[192.0.2.\(n + 1)]" }
        let parser = LogFileParser(options: .fixed)
        var together: [String: Int64] = [:]
        _ = parser.parse(bytes: Array(lines.joined(separator: "\n").utf8) + [0x0A], name: "all") { event in
            together[event.clientIP!.description] = event.hasTime ? event.time : -1
        }
        #expect(together.count == lines.count)
        for line in lines {
            var alone: (String, Int64)?
            _ = parser.parse(bytes: Array(line.utf8) + [0x0A], name: "one") { event in alone = (event.clientIP!.description, event.hasTime ? event.time : -1) }
            let (ip, time) = alone!
            #expect(together[ip] == time, "\(line)")
        }
    }
}
