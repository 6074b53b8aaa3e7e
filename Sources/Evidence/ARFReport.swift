import EnforcementEngine
import Foundation
import LogParsers
import Primitives

/// An abuse report in the Abuse Reporting Format (RFC 5965): `multipart/report;
/// report-type=feedback-report` with a human-readable part, the `message/feedback-report`
/// part and a part with the log excerpts, addressed to the registration's abuse contact.
///
/// Only registry-controlled, validated values go into header fields; everything that came
/// from a log (HELO names, senders, whole lines) stays inside body parts, where a CR, an LF
/// or a non-ASCII byte cannot start a header. Deterministic: the date is the case's.
public enum ARFReport {
    public struct Input: Sendable {
        public var caseID: String
        public var subjectIP: String
        public var ruleID: String
        public var ruleDescription: String
        public var abuseContact: String
        public var registrant: String?
        /// Case opening time (UTC ms): the report's Date and Arrival-Date.
        public var opened: Int64
        public var windowStart: Int64
        public var windowEnd: Int64
        public var incidents: Int
        /// Per reporter: counts by kind / kind.reason.
        public var figures: [String: [String: Int]]
        /// The excerpt lines, as `excerpts/<reporter>.log` holds them.
        public var excerpts: [(reporter: String, lines: [[UInt8]])]
        public var registryDomain: String

        public init(
            caseID: String, subjectIP: String, ruleID: String, ruleDescription: String, abuseContact: String, registrant: String?, opened: Int64,
            windowStart: Int64, windowEnd: Int64, incidents: Int, figures: [String: [String: Int]], excerpts: [(reporter: String, lines: [[UInt8]])],
            registryDomain: String
        ) {
            self.caseID = caseID
            self.subjectIP = subjectIP
            self.ruleID = ruleID
            self.ruleDescription = ruleDescription
            self.abuseContact = abuseContact
            self.registrant = registrant
            self.opened = opened
            self.windowStart = windowStart
            self.windowEnd = windowEnd
            self.incidents = incidents
            self.figures = figures
            self.excerpts = excerpts
            self.registryDomain = registryDomain
        }
    }

    /// The report's bytes (CRLF line ends).
    public static func render(_ i: Input) -> Data {
        let boundary = "=_abuse-ingest-\(i.caseID)"
        let date = rfc5322Date(i.opened)
        var headers: [String] = []
        headers.append("From: Registry of registered mail servers <abuse-reports@\(i.registryDomain)>")
        headers.append("To: <\(headerSafe(i.abuseContact))>")
        headers.append("Subject: Abuse report \(i.caseID) for \(headerSafe(i.subjectIP))")
        headers.append("Date: \(date)")
        headers.append("Message-ID: <\(i.caseID).arf@\(i.registryDomain)>")
        headers.append("MIME-Version: 1.0")
        headers.append("Content-Type: multipart/report; report-type=feedback-report; boundary=\"\(boundary)\"")
        var body = ""
        // 1. Human-readable.
        var text = "This is an abuse report from the registry of registered e-mail servers about \(i.subjectIP)"
        if let registrant = i.registrant { text += " (registrant \(registrant))" }
        text += ".\n\nCase: \(i.caseID)\nRule: \(i.ruleID)\(i.ruleDescription.isEmpty ? "" : ": " + i.ruleDescription)\n"
        text += "Window: \(ISOTime.format(millis: i.windowStart, fraction: false)) to \(ISOTime.format(millis: i.windowEnd, fraction: false))\n\nReports:\n"
        for reporter in i.figures.keys.sorted() {
            let counts = i.figures[reporter]!.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            text += "  \(reporter): \(counts)\n"
        }
        text += "\nThe third part holds sample lines of the ISPs' logs, as shipped.\n"
        body += part(boundary, contentType: "text/plain; charset=us-ascii", content: asciiOnly(text))
        // 2. The machine-readable report (RFC 5965 §3.1). Values are registry-made.
        let report = [
            "Feedback-Type: abuse",
            "User-Agent: abuse-ingest/1.0",
            "Version: 1",
            "Source-IP: \(headerSafe(i.subjectIP))",
            "Arrival-Date: \(date)",
            "Reporting-MTA: dns; \(i.registryDomain)",
            "Incidents: \(i.incidents)",
        ].joined(separator: "\n") + "\n"
        body += part(boundary, contentType: "message/feedback-report", content: report)
        // 3. The excerpts, base64 so that no byte of a log line is read as structure.
        var excerpts: [UInt8] = []
        for (reporter, lines) in i.excerpts {
            excerpts += Array("# \(reporter)\n".utf8)
            for line in lines { excerpts += line + [0x0A] }
        }
        body += part(boundary, contentType: "text/plain; charset=utf-8; name=\"excerpts.log\"", content: nil, base64: Data(excerpts))
        body += "--\(boundary)--\n"
        let message = headers.joined(separator: "\n") + "\n\n" + body
        return Data(message.replacingOccurrences(of: "\n", with: "\r\n").utf8)
    }

    private static func part(_ boundary: String, contentType: String, content: String?, base64: Data? = nil) -> String {
        var out = "--\(boundary)\nContent-Type: \(contentType)\n"
        if let base64 {
            out += "Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"excerpts.log\"\n\n"
            let encoded = base64.base64EncodedString()
            var index = encoded.startIndex
            while index < encoded.endIndex {
                let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
                out += encoded[index..<end] + "\n"
                index = end
            }
        } else {
            out += "Content-Transfer-Encoding: 7bit\n\n" + (content ?? "")
        }
        return out
    }

    /// A header value: printable ASCII only, no CR/LF (anything else becomes `?`).
    static func headerSafe(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
    }

    static func asciiOnly(_ text: String) -> String {
        String(text.unicodeScalars.map { $0 == "\n" || ($0.value >= 0x20 && $0.value < 0x7F) ? Character($0) : "?" })
    }

    /// RFC 5322 date in UTC: `Sat, 28 Nov 2026 03:14:15 +0000`.
    public static func rfc5322Date(_ millis: Int64) -> String {
        let seconds = millis / 1000
        let days = Int(seconds / 86_400)
        let (y, m, d) = CivilTime.date(days: days)
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][((days % 7) + 7) % 7]
        let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m - 1]
        let s = Int(seconds % 86_400)
        func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(weekday), \(d) \(month) \(y) \(pad(s / 3600)):\(pad(s / 60 % 60)):\(pad(s % 60)) +0000"
    }
}
