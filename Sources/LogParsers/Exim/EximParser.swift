/// Exim main log lines, raw (`2026-11-28 03:14:15 [pid] id H=… rejected RCPT …`) or
/// through syslog (`exim[pid]: …`, possibly with Exim's own time after the tag).
final class EximParser: MTAParser {
    let mta = MTA.exim
    let classifier = ReplyClassifier()
    private let resolver: TimeResolver

    init(resolver: TimeResolver) {
        self.resolver = resolver
    }

    func parse(_ context: LineContext, emit: (inout ParsedEvent) -> Void) -> LineOutcome {
        var c = context
        let line = c.line
        var m = c.message
        // Exim's own time after a syslog tag (journal exports carry no other).
        var scanner = TimestampScanner(line, at: m)
        if let stamp = scanner.isoWithSpace() {
            if c.time == nil, let t = resolver.resolve(stamp) {
                c.time = t
                c.hasFraction = stamp.hasFraction
            }
            m = line.skipSpaces(scanner.position)
        }
        // `[pid] `
        if m < line.count, line[m] == UInt8(ascii: "["), let close = line.index(of: UInt8(ascii: "]"), from: m, to: min(line.count, m + 12)),
            let pid = line.decimal(m + 1, close)
        {
            c.pid = Int32(truncatingIfNeeded: pid)
            m = line.skipSpaces(close + 1)
        }
        var queueID: Range<Int>?
        let idEnd = line.tokenEnd(m)
        if Self.isMessageID(line, m, idEnd) {
            queueID = m..<idEnd
            m = line.skipSpaces(idEnd)
        }
        c.message = m
        if let outcome = body(c, queueID, emit) { return outcome }
        return RelevanceHeuristic.looksRelevant(line, from: m) ? .unparsed : .skipped
    }

    /// Exim message ids: `1ahr79-0006jK-G9` (6-6-2) and, since 4.97, 6-11-4.
    static func isMessageID(_ line: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        let length = end - start
        guard length == 16 || length == 23 else { return false }
        let firstDash = start + 6
        guard line[firstDash] == UInt8(ascii: "-") else { return false }
        let secondDash = length == 16 ? start + 13 : start + 18
        guard line[secondDash] == UInt8(ascii: "-") else { return false }
        for i in start..<end where i != firstDash && i != secondDash {
            let ch = line[i]
            let alnum = (ch >= 48 && ch <= 57) || (ch >= 65 && ch <= 90) || (ch >= 97 && ch <= 122)
            if !alnum { return false }
        }
        return true
    }

    private func body(_ c: LineContext, _ queueID: Range<Int>?, _ emit: (inout ParsedEvent) -> Void) -> LineOutcome? {
        let line = c.line
        let m = c.message
        if line.matches("<= ", at: m) { return arrival(c, queueID, emit) }
        if line.matches("=> ", at: m) || line.matches("-> ", at: m) || line.matches("** ", at: m) || line.matches("== ", at: m)
            || line.matches("*> ", at: m) || line.matches("Completed", at: m) || line.matches("Frozen", at: m)
            || line.matches("no host name found", at: m) || line.matches("no IP address found", at: m)
            || line.matches("Start queue run", at: m) || line.matches("End queue run", at: m)
            || line.matches("SMTP connection outbound", at: m)
        {
            return .skipped
        }
        if line.matches("H=", at: m) || line.matches("F=", at: m) || line.matches("U=", at: m) || line.matches("P=", at: m) {
            return hostLine(c, queueID, emit)
        }
        if line.matches("SMTP connection from ", at: m) {
            let at = m + 21
            guard let peer = PeerScanner.exim(line, at: at) else { return nil }
            let rest = peer.end
            var kind = EventKind.connect
            var reason: RejectReason?
            if line.find("closed by DROP in ACL", from: rest) != nil || line.find("dropped by", from: rest) != nil {
                kind = .rejected
                reason = .policy
            } else if line.find(" lost", from: rest, to: min(line.count, rest + 10)) != nil {
                kind = .lostConnection
            } else if line.find("closed by QUIT", from: rest) != nil {
                kind = .disconnect
            } else if line.find("refused", from: rest) != nil {
                kind = .deferred
                reason = .rateLimited
            } else if line.find("TCP/IP connection count", from: rest) == nil {
                kind = .disconnect
            }
            return emitPeer(c, kind, reason, peer, queueID, emit)
        }
        if line.matches("SMTP call from ", at: m) {
            guard let peer = PeerScanner.exim(line, at: m + 15) else { return nil }
            return emitPeer(c, .protocolError, nil, peer, queueID, emit)
        }
        if line.matches("SMTP protocol synchronization error", at: m) {
            // `…: rejected connection from H=[ip]` or `…: rejected "CMD" H=name [ip]`.
            guard let close = line.find("): rejected ", from: m) else { return nil }
            var at: Int?
            if line.matches("connection from H=", at: close + 12) {
                at = close + 30
            } else if line.matches("\"", at: close + 12), let h = line.find("\" H=", from: close + 13) {
                at = h + 4
            }
            guard let at, let peer = PeerScanner.exim(line, at: at) else { return nil }
            return emitPeer(c, .protocolError, nil, peer, queueID, emit)
        }
        if line.matches("SMTP protocol error in ", at: m) {
            // The quoted command is the client's: the last ` H=` is Exim's.
            guard let h = line.findLast(" H=", from: m), let peer = PeerScanner.exim(line, at: h + 3) else { return nil }
            return emitPeer(c, .protocolError, nil, peer, queueID, emit)
        }
        if line.matches("no MAIL in SMTP connection from ", at: m) {
            guard let peer = PeerScanner.exim(line, at: m + 32) else { return nil }
            return emitPeer(c, .protocolError, nil, peer, queueID, emit)
        }
        if line.matches("unexpected disconnection while reading SMTP command from ", at: m) {
            guard let peer = PeerScanner.exim(line, at: m + 57) else { return nil }
            return emitPeer(c, .lostConnection, nil, peer, queueID, emit)
        }
        if line.matches("SMTP command timeout on ", at: m) || line.matches("SMTP data timeout ", at: m) {
            guard let from = line.find(" from ", from: m), let peer = PeerScanner.exim(line, at: from + 6) else { return nil }
            return emitPeer(c, .lostConnection, nil, peer, queueID, emit)
        }
        if line.matches("rejected EHLO from ", at: m) || line.matches("rejected HELO from ", at: m) {
            guard let peer = PeerScanner.exim(line, at: m + 19) else { return nil }
            return emitPeer(c, .rejected, .heloRejected, peer, queueID, emit)
        }
        if line.matches("Connection from ", at: m) {
            guard let peer = PeerScanner.exim(line, at: m + 16) else { return nil }
            return emitPeer(c, .deferred, .rateLimited, peer, queueID, emit)
        }
        if line.matches("SA: Action: ", at: m) { return spamAssassin(c, queueID, emit) }
        // `login authenticator failed for name (helo) [ip]:port I=…: 535 …`
        if let failed = line.find(" authenticator failed for ", from: m, to: min(line.count, m + 80)) {
            guard let peer = PeerScanner.exim(line, at: failed + 26) else { return nil }
            var event = c.event(.exim, .authFailed)
            fill(&event, c, peer, queueID)
            if let colon = line.find(": ", from: peer.end) {
                let reply = SMTPReply.scan(line, at: colon + 2, end: line.count)
                event.smtpCode = reply.code
            }
            emit(&event)
            return .events
        }
        return nil
    }

    private func emitPeer(
        _ c: LineContext, _ kind: EventKind, _ reason: RejectReason?, _ peer: PeerScanner.Peer, _ queueID: Range<Int>?,
        _ emit: (inout ParsedEvent) -> Void
    ) -> LineOutcome {
        var event = c.event(.exim, kind)
        fill(&event, c, peer, queueID)
        event.reason = reason
        emit(&event)
        return .events
    }

    private func fill(_ event: inout ParsedEvent, _ c: LineContext, _ peer: PeerScanner.Peer, _ queueID: Range<Int>?) {
        event.clientIP = peer.ip
        event.clientPort = peer.port
        if let name = peer.name { event.clientName = c.field(name) }
        if let queueID { event.queueID = c.field(queueID) }
        // `(helo)` between the name and the address.
        let start = peer.name?.upperBound ?? peer.start
        if let open = c.line.index(of: UInt8(ascii: "("), from: start, to: peer.end),
            let close = c.line.lastIndex(of: UInt8(ascii: ")"), from: open, to: peer.end)
        {
            event.helo = c.field((open + 1)..<close)
        }
    }

    /// `<= sender H=name (helo) [ip]:port … P=esmtp S=1234` — an accepted message.
    private func arrival(_ c: LineContext, _ queueID: Range<Int>?, _ emit: (inout ParsedEvent) -> Void) -> LineOutcome? {
        let line = c.line
        let senderStart = c.message + 3
        let senderEnd = line.tokenEnd(senderStart)
        guard let h = line.find(" H=", from: senderEnd) else { return .skipped }  // local submission
        guard let peer = PeerScanner.exim(line, at: h + 3) else { return nil }
        var event = c.event(.exim, .messageAccepted)
        fill(&event, c, peer, queueID)
        event.helo = nil
        if let open = line.index(of: UInt8(ascii: "("), from: h + 3, to: peer.end),
            let close = line.lastIndex(of: UInt8(ascii: ")"), from: open, to: peer.end)
        {
            event.helo = c.field((open + 1)..<close)
        }
        if senderEnd > senderStart { event.sender = c.field(senderStart..<senderEnd) }
        emit(&event)
        return .events
    }

    /// Lines that start with fields: `H=… [F=<…>] rejected RCPT <r>: text`, `sender verify
    /// fail for <s>: text`, `rejected after DATA: text`, `rejected by local_scan(): text`,
    /// `dropped by 'connect' ACL`, `rejected connection in "connect" ACL`.
    private func hostLine(_ c: LineContext, _ queueID: Range<Int>?, _ emit: (inout ParsedEvent) -> Void) -> LineOutcome? {
        let line = c.line
        guard let h = line.matches("H=", at: c.message) ? c.message : line.find(" H=", from: c.message).map({ $0 + 1 }) else {
            return .skipped
        }
        guard let peer = PeerScanner.exim(line, at: h + 2) else { return nil }
        var sender: Range<Int>?
        if let f = line.find(" F=", from: c.message) ?? (line.matches("F=", at: c.message) ? c.message - 1 : nil) {
            let start = f + 3
            let end = line.tokenEnd(start)
            var s = start
            var e = end
            if s < e, line[s] == UInt8(ascii: "<") { s += 1 }
            if e > s, line[e - 1] == UInt8(ascii: ">") { e -= 1 }
            sender = s..<e
        }
        var event = c.event(.exim, .rejected)
        fill(&event, c, peer, queueID)
        if let sender { event.sender = c.field(sender) }
        let after = peer.end
        var defaultReason = RejectReason.other
        var textStart: Int?
        var deferred = false
        if let r = line.find(" rejected RCPT ", from: after) {
            deferred = line.matches(" temporarily", at: r - 12)
            let start = r + 15
            let end = line.find(": ", from: start) ?? line.tokenEnd(start)
            var s = start
            var e = end
            if s < e, line[s] == UInt8(ascii: "<") { s += 1 }
            if e > s, line[e - 1] == UInt8(ascii: ">") { e -= 1 }
            event.recipient = c.field(s..<e)
            textStart = end + 2
        } else if let r = line.find(" rejected MAIL ", from: after) {
            deferred = line.matches(" temporarily", at: r - 12)
            defaultReason = .senderRejected
            textStart = line.find(": ", from: r + 15).map { $0 + 2 }
        } else if let v = line.find(" sender verify fail for <", from: after) ?? line.find(" sender verify defer for <", from: after) {
            deferred = line.matches(" sender verify defer", at: v)
            let start = v + 25
            if let end = line.index(of: UInt8(ascii: ">"), from: start) { event.sender = c.field(start..<end) }
            event.reason = .senderRejected
            event.kind = deferred ? .deferred : .rejected
            emit(&event)
            return .events
        } else if let r = line.find(" rejected after DATA", from: after) {
            deferred = line.matches(" temporarily", at: r - 12)
            defaultReason = .spamContent
            textStart = line.find(": ", from: r + 20).map { $0 + 2 }
        } else if let r = line.find("rejected by local_scan()", from: after) {
            deferred = line.find("temporarily rejected by local_scan()", from: after) != nil
            defaultReason = .spamContent
            textStart = line.find(": ", from: r + 24).map { $0 + 2 }
        } else if line.find(" dropped by ", from: after) != nil || line.find(" rejected connection", from: after) != nil
            || line.find(" rejected ", from: after) != nil
        {
            defaultReason = .policy
            textStart = line.find(": ", from: after).map { $0 + 2 }
        } else if line.find(" incomplete transaction", from: after) != nil {
            event.kind = .lostConnection
            emit(&event)
            return .events
        } else {
            return .skipped
        }
        if let textStart, textStart <= line.count {
            let reply = SMTPReply.scan(line, at: textStart, end: line.count)
            let enhanced = reply.enhanced.map { c.field($0) }
            let verdict = classifier.classify(text: c.field(reply.text), code: reply.code, enhanced: enhanced)
            event.reason = verdict.reason == .other ? defaultReason : verdict.reason
            if verdict.reason == .policy, defaultReason != .other, defaultReason != .policy { event.reason = defaultReason }
            event.smtpCode = reply.code
            event.enhancedCode = enhanced
            if let zone = verdict.rblZone {
                event.rbl = c.field((reply.text.lowerBound + zone.lowerBound)..<(reply.text.lowerBound + zone.upperBound))
            }
            event.kind = deferred || verdict.kind == .deferred ? .deferred : .rejected
        } else {
            event.reason = defaultReason
            event.kind = deferred ? .deferred : .rejected
        }
        emit(&event)
        return .events
    }

    /// sa-exim verdicts: `SA: Action: flagged as Spam but accepted: … From <s> (host=name [ip]) for r`.
    /// A message the scanner judged spam counts as a spam-content rejection even when
    /// it was filed rather than refused: the sender's behaviour is what the registry weighs.
    private func spamAssassin(_ c: LineContext, _ queueID: Range<Int>?, _ emit: (inout ParsedEvent) -> Void) -> LineOutcome? {
        let line = c.line
        let m = c.message + 12
        let spam = line.matches("flagged as Spam", at: m) || line.matches("silently tossed", at: m) || line.matches("rejected", at: m)
            || line.matches("temporarily rejected", at: m)
        guard spam else { return .skipped }
        guard let hostAt = line.findLast("(host=", from: m), let peer = PeerScanner.exim(line, at: hostAt + 6) else { return nil }
        var event = c.event(.exim, line.matches("temporarily", at: m) ? .deferred : .rejected)
        event.clientIP = peer.ip
        event.clientPort = peer.port
        if let name = peer.name { event.clientName = c.field(name) }
        if let queueID { event.queueID = c.field(queueID) }
        event.reason = .spamContent
        if let from = line.find(" From <", from: m), let end = line.index(of: UInt8(ascii: ">"), from: from + 7, to: hostAt) {
            event.sender = c.field((from + 7)..<end)
        }
        emit(&event)
        return .events
    }
}
