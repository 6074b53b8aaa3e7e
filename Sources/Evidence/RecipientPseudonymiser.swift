import Crypto
import EnforcementEngine
import Foundation
import Primitives

/// Replaces the local part of every recipient address in a log line by a keyed hash
/// (`r-` and 16 hex digits of HMAC-SHA-256 over the case id and the lower-cased address), so
/// one mailbox keeps one pseudonym inside a case without being disclosed, and pseudonyms of
/// different cases cannot be joined. The domain stays: it names the ISP, not the person.
///
/// Every replacement is recorded with its place in the original line, so anyone holding the
/// archive can check that nothing but local parts changed (`evidence verify --archive`).
struct RecipientPseudonymiser {
    let key: SymmetricKey
    let caseID: String

    /// One replaced span of the original line.
    struct Redaction: Equatable, Codable {
        /// Byte offset of the local part in the original line.
        var offset: Int
        /// Its length in the original line.
        var length: Int
        var pseudonym: String
    }

    /// Longest address looked at (RFC 5321's path limit).
    static let maxAddress = 256

    /// The line with recipients' local parts replaced, and where.
    func redact(_ line: [UInt8], parsedRecipient: [UInt8]?) -> (bytes: [UInt8], redactions: [Redaction]) {
        var addresses = Self.recipients(in: line)
        if let parsedRecipient, !parsedRecipient.isEmpty, parsedRecipient.count <= Self.maxAddress { addresses.append(parsedRecipient) }
        var spans: [(range: Range<Int>, pseudonym: String)] = []
        for address in Set(addresses) {
            let pseudonym = self.pseudonym(address)
            if let at = address.lastIndex(of: UInt8(ascii: "@")), at > 0 {
                for start in Self.occurrences(of: address, in: line) where Self.startsAddress(line, start) {
                    spans.append((start..<start + at, pseudonym))
                }
            } else {
                // A bare local part: only where it stands alone in angle brackets.
                for start in Self.occurrences(of: [UInt8(ascii: "<")] + address + [UInt8(ascii: ">")], in: line) {
                    spans.append((start + 1..<start + 1 + address.count, pseudonym))
                }
            }
        }
        spans.sort { $0.range.lowerBound < $1.range.lowerBound || ($0.range.lowerBound == $1.range.lowerBound && $0.range.count > $1.range.count) }
        var out: [UInt8] = []
        out.reserveCapacity(line.count)
        var redactions: [Redaction] = []
        var position = 0
        for span in spans where span.range.lowerBound >= position {
            out += line[position..<span.range.lowerBound]
            out += Array(span.pseudonym.utf8)
            redactions.append(Redaction(offset: span.range.lowerBound, length: span.range.count, pseudonym: span.pseudonym))
            position = span.range.upperBound
        }
        out += line[position...]
        return (out, redactions)
    }

    func pseudonym(_ address: [UInt8]) -> String {
        var message = Array(caseID.utf8)
        message.append(0)
        message += address.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: key)
        return "r-" + Digest.hex(mac).prefix(16)
    }

    /// Rebuilds the excerpt a verifier expects from the original line and the recorded
    /// redactions; nil when they do not describe local parts of that line.
    static func apply(_ redactions: [Redaction], to original: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var position = 0
        for r in redactions {
            guard r.offset >= position, r.length > 0, r.offset + r.length <= original.count, r.offset + r.length < original.count,
                original[r.offset + r.length] == UInt8(ascii: "@") || original[r.offset + r.length] == UInt8(ascii: ">"),
                r.pseudonym.utf8.count == 18, r.pseudonym.hasPrefix("r-")
            else { return nil }
            out += original[position..<r.offset]
            out += Array(r.pseudonym.utf8)
            position = r.offset + r.length
        }
        out += original[position...]
        return out
    }

    /// Addresses after the recipient markers MTAs write: `to=<…>`, `orig_to=<…>`,
    /// `RCPT <…>` (Exim), `RCPT TO:<…>`, and Sendmail's `<…>... ` replies.
    static func recipients(in line: [UInt8]) -> [[UInt8]] {
        var found: [[UInt8]] = []
        for marker in markers {
            for start in occurrences(of: marker, in: line) {
                if let address = bracketed(line, from: start + marker.count) { found.append(address) }
            }
        }
        for start in occurrences(of: Array(">...".utf8), in: line) {
            guard let open = line[max(0, start - maxAddress)..<start].lastIndex(of: UInt8(ascii: "<")) else { continue }
            let address = Array(line[open + 1..<start])
            if !address.isEmpty, !address.contains(UInt8(ascii: " ")) { found.append(address) }
        }
        return found
    }

    private static let markers: [[UInt8]] = ["to=<", "RCPT <", "RCPT TO:<", "RCPT TO: <", "rcpt to:<"].map { Array($0.utf8) }

    /// The address up to `>` from `start`, when short, non-empty and without spaces.
    private static func bracketed(_ line: [UInt8], from start: Int) -> [UInt8]? {
        let limit = min(line.count, start + maxAddress)
        guard start < limit, let close = line[start..<limit].firstIndex(of: UInt8(ascii: ">")), close > start else { return nil }
        let address = Array(line[start..<close])
        return address.contains(UInt8(ascii: " ")) ? nil : address
    }

    /// Whether an address found at `start` is not the tail of a longer one.
    private static func startsAddress(_ line: [UInt8], _ start: Int) -> Bool {
        guard start > 0 else { return true }
        let c = line[start - 1]
        let isAtext = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || Array("!#$%&'*+-/=?^_`{|}~.".utf8).contains(c)
        return !isAtext
    }

    static func occurrences(of needle: [UInt8], in line: [UInt8]) -> [Int] {
        guard !needle.isEmpty, needle.count <= line.count else { return [] }
        var result: [Int] = []
        var i = 0
        while i + needle.count <= line.count {
            if line[i] == needle[0], line[i..<i + needle.count].elementsEqual(needle) {
                result.append(i)
                i += needle.count
            } else {
                i += 1
            }
        }
        return result
    }
}
