import Primitives
/// Postfix: `smtpd` (any service or instance name: `postfix/submission/smtpd`,
/// `postfix-out/smtpd`), `postscreen`, and `cleanup` content rejects.
final class PostfixParser: MTAParser {
    let mta = MTA.postfix
    let classifier = ReplyClassifier()
    /// Queue id → client, from `client=` lines, so that a `cleanup` reject (whose text is
    /// attacker-chosen header content) is attributed without reading the text.
    var clients = QueueIDTable<PeerRecord>(capacity: 8192)

    struct PeerRecord {
        var ip: IPAddress
        var port: UInt16
    }

    func parse(_ c: LineContext, emit: (inout ParsedEvent) -> Void) -> LineOutcome {
        let line = c.line
        guard let tag = c.tag else { return .skipped }
        // The role is the last path component of the tag; the process keeps the service.
        let slash = line.index(of: UInt8(ascii: "/"), from: tag.lowerBound, to: tag.upperBound)
        let process = slash.map { ($0 + 1)..<tag.upperBound } ?? tag
        let roleStart = line.lastIndex(of: UInt8(ascii: "/"), from: tag.lowerBound, to: tag.upperBound).map { $0 + 1 } ?? tag.lowerBound
        let role = line.slice(roleStart, tag.upperBound)
        var outcome: LineOutcome?
        if role.count == 5, role.matches("smtpd", at: 0) {
            outcome = smtpd(c, process: process, emit: emit)
        } else if role.matches("postscreen", at: 0) {
            outcome = postscreen(c, process: process, emit: emit)
        } else if role.matches("cleanup", at: 0) {
            outcome = cleanup(c, process: process, emit: emit)
        } else {
            return .skipped
        }
        if let outcome { return outcome }
        return RelevanceHeuristic.looksRelevant(line, from: c.message) ? .unparsed : .skipped
    }

    /// A leading `QUEUEID: ` or `NOQUEUE: `; returns the queue id (nil for NOQUEUE) and the
    /// index after the prefix.
    private func queuePrefix(_ line: UnsafeRawBufferPointer, _ at: Int) -> (Range<Int>?, Int) {
        if line.matches("NOQUEUE: ", at: at) { return (nil, at + 9) }
        // Short ids are upper-case hex (`00ADB3C0899`); long ids (`enable_long_queue_ids`)
        // mix cases and digits and are at least 12 characters (`44JCRG5tYPzCqt2`).
        var i = at
        var hexUpper = true
        var digits = 0
        let limit = min(line.count, at + 24)
        while i < limit {
            let ch = line[i]
            let digit = ch >= 48 && ch <= 57
            let upper = ch >= 65 && ch <= 90
            let lower = ch >= 97 && ch <= 122
            if !(digit || upper || lower) { break }
            if digit { digits += 1 }
            if !(digit || (ch >= 65 && ch <= 70)) { hexUpper = false }
            i += 1
        }
        let length = i - at
        let looksLikeID = (hexUpper && length >= 6) || (length >= 12 && digits > 0)
        if looksLikeID, i + 1 < line.count, line[i] == UInt8(ascii: ":"), line[i + 1] == 0x20 {
            return (at..<i, i + 2)
        }
        return (nil, at)
    }

    private func smtpd(_ c: LineContext, process: Range<Int>, emit: (inout ParsedEvent) -> Void) -> LineOutcome? {
        let line = c.line
        let (queueID, m) = queuePrefix(line, c.message)
        let first = m < line.count ? line[m] : 0
        switch first {
        case UInt8(ascii: "c"):
            if line.matches("connect from ", at: m) {
                return peerEvent(c, .connect, process, at: m + 13, queueID: queueID, emit)
            }
            if line.matches("client=", at: m) {
                guard let peer = PeerScanner.postfix(line, at: m + 7) else { return nil }
                if let queueID { clients.insert(line.slice(queueID.lowerBound, queueID.upperBound), PeerRecord(ip: peer.ip, port: peer.port)) }
                var event = c.event(.postfix, .messageAccepted, process: process)
                fill(&event, c, peer, queueID)
                emit(&event)
                return .events
            }
        case UInt8(ascii: "d"):
            if line.matches("disconnect from ", at: m) {
                guard let peer = PeerScanner.postfix(line, at: m + 16) else { return nil }
                // `auth=0/1`: attempts that failed show as a first figure below the second.
                var kind = EventKind.disconnect
                if let a = line.find(" auth=", from: peer.end) {
                    let slash = line.index(of: UInt8(ascii: "/"), from: a + 6, to: min(line.count, a + 20))
                    if let slash, let ok = line.decimal(a + 6, slash) {
                        let end = line.tokenEnd(slash + 1)
                        if let tried = line.decimal(slash + 1, end), ok < tried { kind = .authFailed }
                    }
                }
                var event = c.event(.postfix, kind, process: process)
                fill(&event, c, peer, queueID)
                emit(&event)
                return .events
            }
        case UInt8(ascii: "l"):
            if line.matches("lost connection after ", at: m) {
                guard let from = line.find(" from ", from: m + 22, to: min(line.count, m + 60)) else { return nil }
                let phase = line.slice(m + 22, from)
                return peerEvent(c, Self.lostConnectionKind(phase), process, at: from + 6, queueID: queueID, emit)
            }
        case UInt8(ascii: "t"):
            if line.matches("timeout after ", at: m) {
                guard let from = line.find(" from ", from: m + 14, to: min(line.count, m + 60)) else { return nil }
                return peerEvent(c, .lostConnection, process, at: from + 6, queueID: queueID, emit)
            }
            if line.matches("too many errors after ", at: m) {
                guard let from = line.find(" from ", from: m + 22, to: min(line.count, m + 60)) else { return nil }
                return peerEvent(c, .protocolError, process, at: from + 6, queueID: queueID, emit)
            }
        case UInt8(ascii: "i"):
            if line.matches("improper command pipelining after ", at: m) {
                guard let from = line.find(" from ", from: m + 34, to: min(line.count, m + 70)) else { return nil }
                return peerEvent(c, .protocolError, process, at: from + 6, queueID: queueID, emit)
            }
        case UInt8(ascii: "r"), UInt8(ascii: "m"), UInt8(ascii: "p"):
            if let outcome = reject(c, process, m, queueID, emit) { return outcome }
        case UInt8(ascii: "w"):
            if line.matches("warning: ", at: m) { return warning(c, process, m + 9, queueID, emit) }
        case UInt8(ascii: "S"):
            if line.matches("SSL_accept error from ", at: m) {
                return peerEvent(c, .protocolError, process, at: m + 22, queueID: queueID, emit)
            }
        default:
            break
        }
        if line.matches("Anonymous TLS", at: m) || line.matches("Trusted TLS", at: m) || line.matches("Untrusted TLS", at: m)
            || line.matches("Verified TLS", at: m) || line.matches("reject_warning:", at: m) || line.matches("discard:", at: m)
            || line.matches("hold:", at: m) || line.matches("filter:", at: m) || line.matches("redirect:", at: m)
        {
            return .skipped
        }
        return nil
    }

    /// `lost connection after PHASE`: before any mail transaction (CONNECT, EHLO,
    /// STARTTLS, …) the client just went away, which scanners do; during or after one
    /// (DATA, END-OF-MESSAGE, AUTH, QUIT, …) it is an ordinary network abort, and Postfix
    /// logs the `disconnect` summary (with `auth=` figures) next.
    static func lostConnectionKind(_ phase: UnsafeRawBufferPointer) -> EventKind {
        if phase.matches("DATA", at: 0) || phase.matches("END-OF-MESSAGE", at: 0) || phase.matches("BDAT", at: 0)
            || phase.matches("AUTH", at: 0) || phase.matches("QUIT", at: 0) || phase.matches("RSET", at: 0)
            || phase.matches("NOOP", at: 0)
        {
            return .disconnect
        }
        return .lostConnection
    }

    private func peerEvent(
        _ c: LineContext, _ kind: EventKind, _ process: Range<Int>, at: Int, queueID: Range<Int>?,
        _ emit: (inout ParsedEvent) -> Void
    ) -> LineOutcome? {
        guard let peer = PeerScanner.postfix(c.line, at: at) else { return nil }
        var event = c.event(.postfix, kind, process: process)
        fill(&event, c, peer, queueID)
        emit(&event)
        return .events
    }

    func fill(_ event: inout ParsedEvent, _ c: LineContext, _ peer: PeerScanner.Peer, _ queueID: Range<Int>?) {
        event.clientIP = peer.ip
        event.clientPort = peer.port
        if let name = peer.name { event.clientName = c.field(name) }
        if let queueID { event.queueID = c.field(queueID) }
    }

    /// `reject: CMD from peer: reply; from=<…> to=<…> proto=… helo=<…>` and its
    /// `milter-reject:` / `proxy-reject:` forms.
    func reject(_ c: LineContext, _ process: Range<Int>, _ m: Int, _ queueID: Range<Int>?, _ emit: (inout ParsedEvent) -> Void) -> LineOutcome? {
        let line = c.line
        var i: Int
        if line.matches("reject: ", at: m) {
            i = m + 8
        } else if line.matches("milter-reject: ", at: m) {
            i = m + 15
        } else if line.matches("proxy-reject: ", at: m) {
            i = m + 14
        } else {
            return nil
        }
        guard let from = line.find(" from ", from: i, to: min(line.count, i + 40)),
            let peer = PeerScanner.postfix(line, at: from + 6),
            line.matches(": ", at: peer.end)
        else { return nil }
        i = peer.end + 2
        let trailer = PostfixTrailer.scan(line, from: i)
        let reply = SMTPReply.scan(line, at: i, end: trailer.replyEnd)
        let enhanced = reply.enhanced.map { c.field($0) }
        let verdict = classifier.classify(text: c.field(reply.text), code: reply.code, enhanced: enhanced)
        var event = c.event(.postfix, verdict.kind, process: process)
        fill(&event, c, peer, queueID)
        event.reason = verdict.reason
        event.smtpCode = reply.code
        event.enhancedCode = enhanced
        if let zone = verdict.rblZone { event.rbl = c.field((reply.text.lowerBound + zone.lowerBound)..<(reply.text.lowerBound + zone.upperBound)) }
        trailer.apply(to: &event, c)
        emit(&event)
        return .events
    }

    private func warning(_ c: LineContext, _ process: Range<Int>, _ w: Int, _ queueID: Range<Int>?, _ emit: (inout ParsedEvent) -> Void) -> LineOutcome? {
        let line = c.line
        // `warning: name[ip]: SASL LOGIN authentication failed: reason`
        if let peer = PeerScanner.postfix(line, at: w), line.matches(": SASL ", at: peer.end) {
            guard let failed = line.find(" authentication failed", from: peer.end + 7, to: min(line.count, peer.end + 60)) else {
                return .skipped
            }
            // A broken link to the SASL server is the server's fault, not the client's.
            if line.find("Connection lost to authentication server", from: failed) != nil { return .skipped }
            var event = c.event(.postfix, .authFailed, process: process)
            fill(&event, c, peer, queueID)
            emit(&event)
            return .events
        }
        if line.matches("non-SMTP command from ", at: w) {
            return peerEvent(c, .protocolError, process, at: w + 22, queueID: queueID, emit)
        }
        if line.matches("Illegal address syntax from ", at: w) {
            return peerEvent(c, .protocolError, process, at: w + 28, queueID: queueID, emit)
        }
        // Anvil limits: `Connection rate limit exceeded: 31 from name[ip] for service smtpd`.
        if let limit = line.find(" limit exceeded: ", from: w, to: min(line.count, w + 60)),
            let from = line.find(" from ", from: limit + 17, to: min(line.count, limit + 40)),
            let peer = PeerScanner.postfix(line, at: from + 6)
        {
            var event = c.event(.postfix, .deferred, process: process)
            fill(&event, c, peer, queueID)
            event.reason = .rateLimited
            event.smtpCode = 421
            emit(&event)
            return .events
        }
        return .skipped
    }

    private func postscreen(_ c: LineContext, process: Range<Int>, emit: (inout ParsedEvent) -> Void) -> LineOutcome? {
        let line = c.line
        let m = c.message
        if line.matches("CONNECT from ", at: m) { return peerEvent(c, .connect, process, at: m + 13, queueID: nil, emit) }
        if line.matches("DISCONNECT ", at: m) { return peerEvent(c, .disconnect, process, at: m + 11, queueID: nil, emit) }
        if line.matches("PREGREET ", at: m) || line.matches("COMMAND TIME LIMIT", at: m) || line.matches("COMMAND COUNT LIMIT", at: m)
            || line.matches("COMMAND LENGTH LIMIT", at: m) || line.matches("COMMAND PIPELINING", at: m)
            || line.matches("NON-SMTP COMMAND", at: m) || line.matches("BARE NEWLINE", at: m)
        {
            guard let from = line.find(" from ", from: m, to: min(line.count, m + 60)) else { return nil }
            return peerEvent(c, .protocolError, process, at: from + 6, queueID: nil, emit)
        }
        if line.matches("HANGUP ", at: m) {
            guard let from = line.find(" from ", from: m, to: min(line.count, m + 60)) else { return nil }
            return peerEvent(c, .lostConnection, process, at: from + 6, queueID: nil, emit)
        }
        if line.matches("BLACKLISTED ", at: m) || line.matches("DENYLISTED ", at: m) {
            let at = line.skipSpaces(line.tokenEnd(m))
            guard let peer = PeerScanner.postfix(line, at: at) else { return nil }
            var event = c.event(.postfix, .rejected, process: process)
            fill(&event, c, peer, nil)
            event.reason = .policy
            emit(&event)
            return .events
        }
        if line.matches("NOQUEUE: ", at: m) { return reject(c, process, m + 9, nil, emit) }
        if line.matches("PASS ", at: m) || line.matches("DNSBL rank", at: m) || line.matches("WHITELISTED", at: m)
            || line.matches("ALLOWLISTED", at: m) || line.matches("WHITELIST VETO", at: m) || line.matches("ALLOWLIST VETO", at: m)
            || line.matches("warning: ", at: m) || line.matches("cache ", at: m)
        {
            return .skipped
        }
        return nil
    }

    /// `QUEUEID: reject: header|body … from name[ip]; from=<…> to=<…> proto=… helo=<…>: 5.7.1 text`.
    /// The client comes from the queue id's `client=` line; only without one is the
    /// `from name[ip];` before the trailer read.
    private func cleanup(_ c: LineContext, process: Range<Int>, emit: (inout ParsedEvent) -> Void) -> LineOutcome? {
        let line = c.line
        let (queueID, m) = queuePrefix(line, c.message)
        if line.matches("milter-reject: ", at: m) { return reject(c, process, m, queueID, emit) }
        guard line.matches("reject: ", at: m) || line.matches("discard: ", at: m) else {
            return line.matches("message-id=", at: m) || line.matches("warning: ", at: m) || line.matches("resent-message-id=", at: m)
                || line.matches("info: ", at: m) || line.matches("replace: ", at: m) || line.matches("hold: ", at: m)
                || line.matches("redirect: ", at: m) || line.matches("filter: ", at: m) || line.matches("prepend: ", at: m)
                ? .skipped : nil
        }
        if line.matches("discard: ", at: m) { return .skipped }
        guard let trailerStart = line.findLast("; from=<", from: m) else { return nil }
        var ip: IPAddress?
        var port: UInt16 = 0
        var name: Range<Int>?
        if let queueID, let record = clients.lookup(line.slice(queueID.lowerBound, queueID.upperBound)) {
            ip = record.ip
            port = record.port
        } else if let open = line.lastIndex(of: UInt8(ascii: "["), from: m, to: trailerStart),
            let found = PeerScanner.bracketed(line, open: open), found.end == trailerStart
        {
            ip = found.ip
            port = found.port
            var s = open
            while s > m, line[s - 1] != 0x20 { s -= 1 }
            if s < open { name = s..<open }
        }
        guard let ip else { return nil }
        let trailer = PostfixTrailer.scan(line, from: trailerStart)
        // The reply follows the trailer: `helo=<…>: 5.7.1 text`.
        var replyStart = line.count
        if let helo = trailer.helo, helo.upperBound + 2 <= line.count { replyStart = helo.upperBound + 2 }
        let reply = SMTPReply.scan(line, at: min(replyStart, line.count), end: line.count)
        let enhanced = reply.enhanced.map { c.field($0) }
        var verdict = classifier.classify(text: c.field(reply.text), code: reply.code, enhanced: enhanced)
        if verdict.reason == .other || verdict.reason == .policy { verdict.reason = .spamContent }
        var event = c.event(.postfix, .rejected, process: process)
        event.clientIP = ip
        event.clientPort = port
        if let name { event.clientName = c.field(name) }
        if let queueID { event.queueID = c.field(queueID) }
        event.reason = verdict.reason
        event.smtpCode = reply.code
        event.enhancedCode = enhanced
        trailer.apply(to: &event, c)
        emit(&event)
        return .events
    }
}
