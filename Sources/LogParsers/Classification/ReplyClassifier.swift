import Glibc

/// Classifies a refusal into `rejected`/`deferred` and a `RejectReason`.
///
/// The reply code decides the kind (4xx deferred, 5xx rejected; without a code, words such
/// as "temporarily" decide). The reason comes from the text first, because MTAs reuse
/// enhanced codes loosely (5.7.1 means relay, RBL, policy or spam depending on who wrote
/// it), then from the enhanced code. One instance per parser: it owns a scratch buffer.
final class ReplyClassifier {
    private static let scratchCapacity = 1024
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: ReplyClassifier.scratchCapacity, alignment: 16)

    deinit {
        scratch.deallocate()
        pairs.deallocate()
    }

    /// - Parameters:
    ///   - text: the reply or reason text (any case).
    ///   - code: the SMTP reply code, 0 when the log gives none.
    ///   - enhanced: the enhanced status code (`5.1.1`), if any.
    func classify(text: UnsafeRawBufferPointer, code: UInt16, enhanced: UnsafeRawBufferPointer?) -> ReplyClassification {
        // Lower-case copy in which `<…>` (addresses, HELO names: the client's words) is
        // blanked, so that `<spam@x>: Relay access denied` reads as relay, not spam.
        // The same pass notes every adjacent byte pair of the copy (`has` rules phrases out
        // by them).
        let n = min(text.count, Self.scratchCapacity)
        let bits = pairs
        bits.update(repeating: 0, count: Self.pairWords)
        if n > 0, let source = text.baseAddress {
            let out = scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let input = source.assumingMemoryBound(to: UInt8.self)
            var inAngle = false
            var previous: UInt8 = 0
            for i in 0..<n {
                var c = input[i]
                if c == UInt8(ascii: "<") { inAngle = true }
                if inAngle {
                    if c == UInt8(ascii: ">") { inAngle = false }
                    c = 0x20
                } else if c &- 65 < 26 {
                    c |= 0x20
                }
                out[i] = c
                if i > 0 {
                    let pair = Self.pairHash(previous, c)
                    bits[Int(pair >> 6)] |= 1 << UInt64(pair & 63)
                }
                previous = c
            }
        }
        let lower = UnsafeRawBufferPointer(rebasing: scratch[0..<n])
        let kind: EventKind
        if code >= 400, code < 500 {
            kind = .deferred
        } else if code >= 500 {
            kind = .rejected
        } else if code == 0, let enhanced, enhanced.count > 0, enhanced[0] == UInt8(ascii: "4") {
            kind = .deferred
        } else if code == 0, let enhanced, enhanced.count > 0, enhanced[0] == UInt8(ascii: "5") {
            kind = .rejected
        } else if lower.find("temporar", from: 0) != nil || lower.find("try again", from: 0) != nil {
            kind = .deferred
        } else {
            kind = .rejected
        }
        let (reason, zone) = reason(lower, code: code, enhanced: enhanced)
        return ReplyClassification(kind: kind, reason: reason, rblZone: zone)
    }

    /// Whether `needle` occurs in the text whose byte pairs are in `pairs`: a needle with
    /// a pair the text lacks is ruled out without a search.
    @inline(__always)
    private func has(_ t: UnsafeRawBufferPointer, _ needle: Phrase) -> Bool {
        let bits = pairs
        @inline(__always) func present(_ pair: UInt16) -> Bool { bits[Int(pair >> 6)] & (1 << UInt64(pair & 63)) != 0 }
        guard present(needle.first), present(needle.middle), present(needle.last) else { return false }
        return t.find(needle.text, from: 0) != nil
    }

    /// The first phrase of `phrases` found in `t`, in order.
    @inline(__always)
    private func firstMatch(_ t: UnsafeRawBufferPointer, _ phrases: [(Phrase, RejectReason)]) -> RejectReason? {
        for (phrase, reason) in phrases where has(t, phrase) { return reason }
        return nil
    }

    /// - Parameter t: the lower-cased text, whose byte pairs are in `pairs`.
    private func reason(_ t: UnsafeRawBufferPointer, code: UInt16, enhanced: UnsafeRawBufferPointer?) -> (RejectReason, Range<Int>?) {
        // DNS block lists, with the zone where the text names it.
        for (marker, skip) in Self.zoneMarkers {
            if has(t, marker), let at = t.find(marker.text, from: 0) {
                return (.rbl, Self.zone(in: t, from: at + skip))
            }
        }
        if let reason = firstMatch(t, Self.textReasons) { return (reason, nil) }
        if let enhanced, enhanced.count >= 5 {
            // class.subject.detail: compare the subject and detail.
            let dot = enhanced.index(of: UInt8(ascii: "."), from: 0)
            if let dot {
                let rest = UnsafeRawBufferPointer(rebasing: enhanced[(dot + 1)...])
                if rest.matches("1.1", at: 0) && rest.count == 3 { return (.unknownRecipient, nil) }
                if rest.matches("1.8", at: 0) || rest.matches("1.7", at: 0) { return (.senderRejected, nil) }
                if rest.matches("7.25", at: 0) { return (.noRDNS, nil) }
                if rest.matches("7.28", at: 0) { return (.rateLimited, nil) }
            }
        }
        if let reason = firstMatch(t, Self.policyPhrases) { return (reason, nil) }
        return (.other, nil)
    }

    /// A phrase to look for, with the hashes of three of its adjacent byte pairs (first,
    /// middle, last): a text that lacks one cannot contain the phrase.
    struct Phrase {
        let text: StaticString
        let first: UInt16
        let middle: UInt16
        let last: UInt16

        init(_ text: StaticString) {
            precondition(text.utf8CodeUnitCount >= 2, "phrases have at least two bytes")
            self.text = text
            let b = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
            let m = b.count / 2
            first = ReplyClassifier.pairHash(b[0], b[1])
            middle = ReplyClassifier.pairHash(b[m - 1], b[m])
            last = ReplyClassifier.pairHash(b[b.count - 2], b[b.count - 1])
        }
    }

    private static let pairWords = 64
    private let pairs = UnsafeMutablePointer<UInt64>.allocate(capacity: ReplyClassifier.pairWords)

    @inline(__always)
    static func pairHash(_ a: UInt8, _ b: UInt8) -> UInt16 { (UInt16(a) &* 61 &+ UInt16(b)) & 0xFFF }

    /// Reasons told by the text, in the order they are tried: block lists, greylisting,
    /// viruses, rate limits, HELO, reverse DNS, sender, recipient, relay, content. The
    /// first phrase found decides.
    private static let textReasons: [(Phrase, RejectReason)] = ([
        ("blacklist", .rbl), ("black list", .rbl), ("blocklist", .rbl), ("block list", .rbl), ("dnsbl", .rbl),
        ("spamhaus", .rbl), ("spamcop", .rbl), ("barracuda", .rbl), (" rbl", .rbl), ("rbl ", .rbl),
        ("greylist", .greylisted), ("graylist", .greylisted), ("grey-list", .greylisted),
        ("virus", .virus), ("malware", .virus), ("infected", .virus),
        ("rate limit", .rateLimited), ("too many connections", .rateLimited), ("too many open connections", .rateLimited),
        ("too many concurrent", .rateLimited), ("too many messages", .rateLimited), ("too many recipients", .rateLimited),
        ("rate exceeded", .rateLimited), ("sending rate", .rateLimited), ("ratelimit", .rateLimited), ("too fast", .rateLimited),
        ("helo", .heloRejected), ("ehlo", .heloRejected),
        ("find your hostname", .noRDNS), ("find your reverse hostname", .noRDNS), ("reverse dns", .noRDNS),
        ("reverse hostname", .noRDNS), ("ptr record", .noRDNS), ("resolve ptr", .noRDNS), ("ip name lookup failed", .noRDNS),
        ("ip name possibly forged", .noRDNS), ("no reverse", .noRDNS), ("rdns", .noRDNS), ("client host rejected: cannot find", .noRDNS),
        ("sender address rejected", .senderRejected), ("domain of sender address", .senderRejected), ("sender verify", .senderRejected),
        ("sender rejected", .senderRejected), ("sender domain", .senderRejected), ("sender address", .senderRejected),
        ("unknown sender", .senderRejected), ("sender denied", .senderRejected),
        ("user unknown", .unknownRecipient), ("unknown user", .unknownRecipient), ("no such user", .unknownRecipient),
        ("unknown recipient", .unknownRecipient), ("recipient unknown", .unknownRecipient), ("undeliverable address", .unknownRecipient),
        ("mailbox unavailable", .unknownRecipient), ("invalid recipient", .unknownRecipient), ("unrouteable address", .unknownRecipient),
        ("no mailbox", .unknownRecipient), ("mailbox not found", .unknownRecipient), ("address rejected: user", .unknownRecipient),
        ("unknown local part", .unknownRecipient),
        ("relay", .relayDenied),
        ("does not exist", .unknownRecipient), ("not found in", .unknownRecipient),
        ("spam", .spamContent), ("content rejected", .spamContent), ("message content", .spamContent), ("local_scan", .spamContent),
        ("hits=", .spamContent), ("junk", .spamContent), ("bulk mail", .spamContent), ("phish", .spamContent),
    ] as [(StaticString, RejectReason)]).map { (Phrase($0.0), $0.1) }

    /// Policy refusals, tried after the enhanced code.
    private static let policyPhrases: [(Phrase, RejectReason)] = ([
        "access denied", "policy", "command rejected", "blocked", "denied", "prohibited", "not accepted", "banned", "rejected by", "acl",
        // Client access refusals (Postfix's check_client_access), and the registry's own
        // texts (docs/mta-integration.md): a suspended or an unregistered server.
        "host rejected", "suspended by the registry", "not a registered mail server",
    ] as [StaticString]).map { (Phrase($0), RejectReason.policy) }

    /// Phrases followed by a DNSBL zone name, and the length to skip.
    private static let zoneMarkers: [(Phrase, Int)] = ([
        ("blocked using ", 14),
        ("found in dnsbl ", 15),
        ("in a black list at ", 19),
        ("listed at ", 10),
        ("listed in ", 10),
        ("listed on ", 10),
        ("blacklisted by ", 15),
    ] as [(StaticString, Int)]).map { (Phrase($0.0), $0.1) }

    /// A domain-like token from `from`: up to space, `;`, `,`, `\`, `(`, `)`, `<`, `>`, `"`;
    /// a trailing dot is dropped. nil unless it has an inner dot.
    static func zone(in t: UnsafeRawBufferPointer, from: Int) -> Range<Int>? {
        var i = from
        var sawDot = false
        while i < t.count {
            let c = t[i]
            if c == 0x20 || c == UInt8(ascii: ";") || c == UInt8(ascii: ",") || c == UInt8(ascii: "\\") || c == UInt8(ascii: "(")
                || c == UInt8(ascii: ")") || c == UInt8(ascii: "<") || c == UInt8(ascii: ">") || c == UInt8(ascii: "\"")
                || c == UInt8(ascii: ":") || c == UInt8(ascii: "/") || c < 0x20
            {
                break
            }
            if c == UInt8(ascii: ".") { sawDot = true }
            i += 1
        }
        var end = i
        if end > from, t[end - 1] == UInt8(ascii: ".") { end -= 1 }
        guard sawDot, end > from else { return nil }
        // A dot only at the end is no inner dot.
        if t.index(of: UInt8(ascii: "."), from: from, to: end) == nil { return nil }
        return from..<end
    }
}
