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

    deinit { scratch.deallocate() }

    /// - Parameters:
    ///   - text: the reply or reason text (any case).
    ///   - code: the SMTP reply code, 0 when the log gives none.
    ///   - enhanced: the enhanced status code (`5.1.1`), if any.
    func classify(text: UnsafeRawBufferPointer, code: UInt16, enhanced: UnsafeRawBufferPointer?) -> ReplyClassification {
        // Lower-case copy in which `<…>` (addresses, HELO names: the client's words) is
        // blanked, so that `<spam@x>: Relay access denied` reads as relay, not spam.
        let n = min(text.count, Self.scratchCapacity)
        var inAngle = false
        for i in 0..<n {
            var c = text[i]
            if c == UInt8(ascii: "<") { inAngle = true }
            if inAngle {
                if c == UInt8(ascii: ">") { inAngle = false }
                c = 0x20
            } else if c >= 65, c <= 90 {
                c |= 0x20
            }
            scratch[i] = c
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

    private func has(_ lower: UnsafeRawBufferPointer, _ needle: StaticString) -> Bool {
        lower.find(needle, from: 0) != nil
    }

    private func reason(_ t: UnsafeRawBufferPointer, code: UInt16, enhanced: UnsafeRawBufferPointer?) -> (RejectReason, Range<Int>?) {
        // DNS block lists, with the zone where the text names it.
        for marker in Self.zoneMarkers {
            if let at = t.find(marker.0, from: 0) {
                return (.rbl, Self.zone(in: t, from: at + marker.1))
            }
        }
        if has(t, "blacklist") || has(t, "black list") || has(t, "blocklist") || has(t, "block list") || has(t, "dnsbl")
            || has(t, "spamhaus") || has(t, "spamcop") || has(t, "barracuda") || has(t, " rbl") || has(t, "rbl ")
        {
            return (.rbl, nil)
        }
        if has(t, "greylist") || has(t, "graylist") || has(t, "grey-list") { return (.greylisted, nil) }
        if has(t, "virus") || has(t, "malware") || has(t, "infected") { return (.virus, nil) }
        if has(t, "rate limit") || has(t, "too many connections") || has(t, "too many open connections")
            || has(t, "too many concurrent") || has(t, "too many messages") || has(t, "too many recipients")
            || has(t, "rate exceeded") || has(t, "sending rate") || has(t, "ratelimit") || has(t, "too fast")
        {
            return (.rateLimited, nil)
        }
        if has(t, "helo") || has(t, "ehlo") { return (.heloRejected, nil) }
        if has(t, "find your hostname") || has(t, "find your reverse hostname") || has(t, "reverse dns")
            || has(t, "reverse hostname") || has(t, "ptr record") || has(t, "resolve ptr") || has(t, "ip name lookup failed")
            || has(t, "ip name possibly forged") || has(t, "no reverse") || has(t, "rdns") || has(t, "client host rejected: cannot find")
        {
            return (.noRDNS, nil)
        }
        if has(t, "sender address rejected") || has(t, "domain of sender address") || has(t, "sender verify")
            || has(t, "sender rejected") || has(t, "sender domain") || has(t, "sender address") || has(t, "unknown sender")
            || has(t, "sender denied")
        {
            return (.senderRejected, nil)
        }
        if has(t, "user unknown") || has(t, "unknown user") || has(t, "no such user") || has(t, "unknown recipient")
            || has(t, "recipient unknown") || has(t, "undeliverable address") || has(t, "mailbox unavailable")
            || has(t, "invalid recipient") || has(t, "unrouteable address") || has(t, "no mailbox")
            || has(t, "mailbox not found") || has(t, "address rejected: user") || has(t, "unknown local part")
        {
            return (.unknownRecipient, nil)
        }
        if has(t, "relay") { return (.relayDenied, nil) }
        if has(t, "does not exist") || has(t, "not found in") { return (.unknownRecipient, nil) }
        if has(t, "spam") || has(t, "content rejected") || has(t, "message content") || has(t, "local_scan")
            || has(t, "hits=") || has(t, "junk") || has(t, "bulk mail") || has(t, "phish")
        {
            return (.spamContent, nil)
        }
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
        if has(t, "access denied") || has(t, "policy") || has(t, "command rejected") || has(t, "blocked")
            || has(t, "denied") || has(t, "prohibited") || has(t, "not accepted") || has(t, "banned")
            || has(t, "rejected by") || has(t, "acl")
        {
            return (.policy, nil)
        }
        return (.other, nil)
    }

    /// Phrases followed by a DNSBL zone name, and the length to skip.
    private static let zoneMarkers: [(StaticString, Int)] = [
        ("blocked using ", 14),
        ("found in dnsbl ", 15),
        ("in a black list at ", 19),
        ("listed at ", 10),
        ("listed in ", 10),
        ("listed on ", 10),
        ("blacklisted by ", 15),
    ]

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
