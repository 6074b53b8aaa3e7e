import EnforcementEngine
import Evidence
import Foundation
import Primitives

/// The messages the notifier sends (FORMATS.md §9): the bundle's ARF `report.eml` with the
/// relay's sender and the notice's Message-ID, or a short plain-text notice of a staff
/// decision. Header fields hold only registry-made, validated values; the staff member's
/// reason goes into the body, quoted-printable.
enum NoticeMail {
    /// `<C-2026-000001.n7@registry.example>`: from the case and the notice, the same on every
    /// retry (a receiver can drop a duplicate).
    static func messageID(_ notice: Notice, from: MailAddress) -> String {
        "<\(notice.caseID).n\(notice.id ?? 0)@\(from.domain)>"
    }

    /// The ARF report with `From:` and `Message-ID:` of the top header block replaced.
    static func report(_ eml: Data, notice: Notice, from: MailAddress) -> [UInt8] {
        let bytes = [UInt8](eml)
        let end = Self.headerEnd(bytes)
        let header = String(decoding: bytes[..<end], as: UTF8.self)
        var lines: [String] = []
        for line in header.components(separatedBy: "\r\n") {
            let lower = line.lowercased()
            if lower.hasPrefix("from:") {
                lines.append("From: Registry of registered mail servers <\(from)>")
            } else if lower.hasPrefix("message-id:") {
                lines.append("Message-ID: \(messageID(notice, from: from))")
            } else {
                lines.append(line)
            }
        }
        lines.append("Auto-Submitted: auto-generated")
        return Array(lines.joined(separator: "\r\n").utf8) + bytes[end...]
    }

    /// The notice of a staff decision.
    static func decision(_ notice: Notice, case item: EnforcementCase, from: MailAddress, to: MailAddress, now: Int64) -> [UInt8] {
        let subject = item.subject
        let (title, outcome): (String, String) =
            switch notice.decision {
            case "approve": ("suspension of \(subject) confirmed", "The registry's staff confirmed the suspension of the registration of \(subject). Mail servers that ask the registry now refuse its mail.")
            case "dismiss": ("case dismissed, \(subject) restored", "The registry's staff dismissed the case. The registration of \(subject) is back to what it was before the case.")
            case "reinstate": ("\(subject) reinstated", "The registry's staff reinstated the registration of \(subject).")
            default: ("case decided", "The registry's staff decided the case.")
            }
        var body = "Case \(item.id) about \(subject)"
        if let registrant = item.registrant { body += " (registrant \(registrant))" }
        body += ", rule \(item.ruleID): \(title).\n\n\(outcome)\n\n"
        body += "Decided: \(ISOTime.format(millis: notice.created, fraction: false))\nReason given:\n\(notice.reason)\n\n"
        if notice.decision == "approve" {
            body += "The abuse report sent earlier (\(item.id)) holds the evidence. To contest the suspension, reply to this message.\n"
        }
        let headers = [
            "From: Registry of registered mail servers <\(from)>",
            "To: <\(to)>",
            "Subject: \(item.id): \(title)",
            "Date: \(ARFReport.rfc5322Date(now))",
            "Message-ID: \(messageID(notice, from: from))",
            "References: <\(item.id).arf@\(from.domain)>",
            "Auto-Submitted: auto-generated",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
        ]
        return Array((headers.joined(separator: "\r\n") + "\r\n\r\n" + quotedPrintable(body)).utf8)
    }

    /// RFC 2045 §6.7: printable ASCII as is (but `=`), everything else as `=XX`, lines
    /// broken softly before 76 characters, CRLF line ends.
    static func quotedPrintable(_ text: String) -> String {
        var out = ""
        for line in text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            var current = ""
            let bytes = Array(line.utf8)
            for (i, b) in bytes.enumerated() {
                let last = i == bytes.count - 1
                let plain = (b >= 0x21 && b <= 0x7E && b != UInt8(ascii: "=")) || (b == 0x20 && !last)
                let piece = plain ? String(UnicodeScalar(b)) : "=" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
                if current.count + piece.count > 75 {
                    out += current + "=\r\n"
                    current = ""
                }
                current += piece
            }
            out += current + "\r\n"
        }
        return out
    }

    /// Where the top header block ends (before its blank line), or the whole length.
    private static func headerEnd(_ bytes: [UInt8]) -> Int {
        var i = 0
        while i + 3 < bytes.count {
            if bytes[i] == 0x0D && bytes[i + 1] == 0x0A && bytes[i + 2] == 0x0D && bytes[i + 3] == 0x0A { return i }
            i += 1
        }
        return bytes.count
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
