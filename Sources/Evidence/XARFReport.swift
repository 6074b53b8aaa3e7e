import Crypto
import EnforcementEngine
import Foundation
import LogParsers
import Primitives

/// A case as an X-ARF v4 JSON report (`report.xarf.json`): `messaging`/`spam` for mail
/// abuse, `connection`/`login_attack` for SASL brute force, the bundle's excerpts and
/// timeline as evidence items with `sha256:` hashes. Deterministic: the report id is
/// derived from the case id and every value comes from the case and its excerpts.
///
/// X-ARF requires an envelope sender and a source port for SMTP reports, and a source port
/// for login attacks from an address. They are taken from the excerpts (the most frequent
/// sender; the most frequent client port, when the reporters' MTAs log ports); when the logs
/// do not carry one, the report says so in `description` and uses `postmaster@[IP]` (the
/// address RFC 5321 makes every mail server answer for) and port 25 (the SMTP service port,
/// as X-ARF's own samples use).
enum XARFReport {
    enum Kind: Equatable {
        case spam
        case loginAttack

        /// A case is a login attack when every count its rule made was of `auth_failed`.
        static func of(_ figures: CaseFigures) -> Kind {
            let counts = figures.conditions.flatMap(\.countedSelectors)
            return !counts.isEmpty && counts.allSatisfy { $0.hasPrefix("auth_failed") } ? .loginAttack : .spam
        }
    }

    struct EvidenceItem {
        var contentType: String
        var description: String
        var data: Data
    }

    struct Input {
        var caseID: String
        var subject: String
        var ruleID: String
        var kind: Kind
        var firstSeen: Int64
        var lastSeen: Int64
        var senders: [[UInt8]]
        var ports: [UInt16]
        var events: Int
        var reporters: Int
        var evidence: [EvidenceItem]
        var registryDomain: String
    }

    static let version = "4.2.0"

    static func render(_ i: Input) -> Data {
        let contact = EvidenceExporter.jsonObject([
            ("org", EvidenceExporter.json("Registry of registered mail servers")),
            ("contact", EvidenceExporter.json("abuse-reports@\(i.registryDomain)")),
            ("domain", EvidenceExporter.json(i.registryDomain)),
        ])
        var notes: [String] = []
        let port: UInt16
        if let logged = mostFrequent(i.ports) {
            port = logged
        } else {
            port = 25
            notes.append("The reporters' logs do not carry the client's port; 25 is the SMTP service port.")
        }
        var fields: [(String, String)] = [
            ("xarf_version", EvidenceExporter.json(version)),
            ("report_id", EvidenceExporter.json(reportID(i.caseID, i.registryDomain))),
            ("timestamp", EvidenceExporter.json(ISOTime.format(millis: i.firstSeen, fraction: false))),
            ("reporter", contact),
            ("sender", contact),
            ("source_identifier", EvidenceExporter.json(i.subject)),
            ("source_port", String(port)),
        ]
        switch i.kind {
        case .spam:
            let from: String
            if let sender = mostFrequent(i.senders.filter(isAddress)) {
                from = String(decoding: sender, as: UTF8.self)
            } else {
                from = "postmaster@[\(i.subject)]"
                notes.append("No envelope sender is in the excerpts: smtp_from names the postmaster of the source.")
            }
            fields += [
                ("category", EvidenceExporter.json("messaging")), ("type", EvidenceExporter.json("spam")),
                ("protocol", EvidenceExporter.json("smtp")), ("smtp_from", EvidenceExporter.json(from)),
                ("evidence_source", EvidenceExporter.json("automated_filter")),
            ]
        case .loginAttack:
            fields += [
                ("category", EvidenceExporter.json("connection")), ("type", EvidenceExporter.json("login_attack")),
                ("protocol", EvidenceExporter.json("tcp")),
                ("first_seen", EvidenceExporter.json(ISOTime.format(millis: i.firstSeen, fraction: false))),
                ("last_seen", EvidenceExporter.json(ISOTime.format(millis: i.lastSeen, fraction: false))),
                ("evidence_source", EvidenceExporter.json("automated_filter")),
            ]
        }
        let summary = "Case \(i.caseID), rule \(i.ruleID): \(i.events) events reported by \(i.reporters) ISP\(i.reporters == 1 ? "" : "s") between "
            + "\(ISOTime.format(millis: i.firstSeen, fraction: false)) and \(ISOTime.format(millis: i.lastSeen, fraction: false))."
        fields.append(("description", EvidenceExporter.json(String(([summary] + notes).joined(separator: " ").prefix(1000)))))
        let items = i.evidence.prefix(50).map { item in
            EvidenceExporter.jsonObject([
                ("content_type", EvidenceExporter.json(item.contentType)),
                ("description", EvidenceExporter.json(String(item.description.prefix(500)))),
                ("payload", EvidenceExporter.json(item.data.base64EncodedString())),
                ("hash", EvidenceExporter.json("sha256:" + EvidenceBundle.sha256(item.data))),
                ("size", String(item.data.count)),
            ])
        }
        fields.append(("evidence", "[" + items.joined(separator: ",") + "]"))
        fields.append(("tags", "[" + [tag("case", i.caseID), tag("rule", i.ruleID)].map(EvidenceExporter.json).joined(separator: ",") + "]"))
        return Data((EvidenceExporter.jsonObject(fields) + "\n").utf8)
    }

    /// A UUID in version 4 layout made from the SHA-256 of the case id and the registry.
    static func reportID(_ caseID: String, _ domain: String) -> String {
        var bytes = Array(SHA256.hash(data: Data("x-arf report \(caseID) \(domain)".utf8)).prefix(16))
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = Digest.hex(bytes)
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(hex[hex.index(hex.startIndex, offsetBy: range.lowerBound)..<hex.index(hex.startIndex, offsetBy: range.upperBound)])
        }
        return parts.joined(separator: "-")
    }

    /// `namespace:value` in X-ARF's tag alphabet (lower case, `_+-`; others become `-`).
    static func tag(_ namespace: String, _ value: String) -> String {
        let cleaned = value.lowercased().unicodeScalars.map { c -> Character in
            (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "_" || c == "+" || c == "-" ? Character(c) : "-"
        }
        var text = String(cleaned.prefix(64))
        if text.first.map({ !$0.isLetter && !$0.isNumber }) ?? true { text = "x" + text }
        return "\(namespace):\(text)"
    }

    /// A plain `local@domain` without spaces, brackets or control bytes, short enough.
    static func isAddress(_ address: [UInt8]) -> Bool {
        guard address.count <= 254, let at = address.lastIndex(of: UInt8(ascii: "@")), at > 0, at < address.count - 1 else { return false }
        return address.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
    }

    /// The most frequent value; ties go to the smallest, so the choice is deterministic.
    static func mostFrequent<T: Hashable & Comparable>(_ values: [T]) -> T? {
        var counts: [T: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        return counts.max { a, b in a.value < b.value || (a.value == b.value && a.key > b.key) }?.key
    }

    static func mostFrequent(_ values: [[UInt8]]) -> [UInt8]? {
        mostFrequent(values.map { String(decoding: $0, as: UTF8.self) }).map { Array($0.utf8) }
    }
}

extension ConditionResult {
    /// The selectors of the `count` conditions in this result (inside `any(…)` too).
    var countedSelectors: [String] {
        var label = Substring(label)
        if label.hasPrefix("any("), label.hasSuffix(")") { label = label.dropFirst(4).dropLast() }
        return label.components(separatedBy: " | ").compactMap { part in
            part.hasPrefix("count ") ? String(part.dropFirst(6)) : nil
        }
    }
}
