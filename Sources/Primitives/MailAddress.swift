/// A mail address (`local@domain`, RFC 5321 §4.1.2) safe to put in an SMTP command and a
/// header field: printable ASCII without spaces, angle brackets, quotes, commas or
/// semicolons (no quoted local parts, no address literals), a local part of at most 64
/// bytes, a domain of dot-separated LDH labels, 254 bytes in all.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    public let local: String
    public let domain: String

    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard (3...254).contains(bytes.count), let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return nil }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard (1...64).contains(local.count), !domain.isEmpty else { return nil }
        // Atom characters of RFC 5322 §3.2.3 and dots, not leading, trailing or doubled.
        let specials = Set("!#$%&'*+-/=?^_`{|}~.".utf8)
        for b in local where !(Self.isAlphanumeric(b) || specials.contains(b)) { return nil }
        guard local.first != UInt8(ascii: "."), local.last != UInt8(ascii: "."), !zip(local, local.dropFirst()).contains(where: { $0 == 0x2E && $1 == 0x2E })
        else { return nil }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 1 else { return nil }
        for label in labels {
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else { return nil }
            for b in label where !(Self.isAlphanumeric(b) || b == UInt8(ascii: "-")) { return nil }
        }
        self.local = String(decoding: local, as: UTF8.self)
        self.domain = String(decoding: domain, as: UTF8.self).lowercased()
    }

    public var description: String { "\(local)@\(domain)" }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
    }
}
