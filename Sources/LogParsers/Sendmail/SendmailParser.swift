/// Sendmail (`sendmail`, `sm-mta`, `sm-acceptingconnections`).
///
/// Some refusals name no client: `<x@y>... User unknown` carries only the queue id. Such a
/// refusal waits (bounded) until the transaction's `from=… relay=name [ip]` line names the
/// client, and is then emitted at that line, the one that shows the address.
final class SendmailParser: MTAParser {
    let mta = MTA.sendmail
    let classifier = ReplyClassifier()
    private var pending = QueueIDTable<[PendingReject]>(capacity: 4096)
    /// Refusals whose transaction never named its client (dropped at the end).
    private(set) var unresolved = 0

    struct PendingReject {
        var recipient: [UInt8]
        var reason: RejectReason
        var kind: EventKind
        var code: UInt16
    }

    func parse(_ c: LineContext, emit: (inout ParsedEvent) -> Void) -> LineOutcome {
        let line = c.line
        // Skip queue-runner and client-side programs.
        if let tag = c.tag, line.slice(tag.lowerBound, tag.upperBound).matches("sm-msp-queue", at: 0) { return .skipped }
        var m = c.message
        var queueID: Range<Int>?
        let idEnd = line.tokenEnd(m)
        if idEnd - m >= 9, idEnd - m <= 20, line[idEnd - 1] == UInt8(ascii: ":"), Self.isAlnum(line, m, idEnd - 1) {
            queueID = m..<(idEnd - 1)
            m = line.skipSpaces(idEnd)
        }
        if let outcome = body(c, m, queueID, emit) { return outcome }
        return RelevanceHeuristic.looksRelevant(line, from: m) ? .unparsed : .skipped
    }

    static func isAlnum(_ line: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        for i in start..<end {
            let ch = line[i]
            if !((ch >= 48 && ch <= 57) || (ch >= 65 && ch <= 90) || (ch >= 97 && ch <= 122)) { return false }
        }
        return true
    }

    func finish() {
        unresolved += pending.count
        pending = QueueIDTable(capacity: 4096)
    }

    private func body(_ c: LineContext, _ m: Int, _ queueID: Range<Int>?, _ emit: (inout ParsedEvent) -> Void) -> LineOutcome? {
        let line = c.line
        if line.matches("ruleset=", at: m) {
            // `ruleset=check_rcpt, arg1=<…>, relay=name [ip] (may be forged), reject=550 5.7.1 text`
            guard let reject = line.find(", reject=", from: m) else { return .skipped }
            // arg1 is the client's text: take the last relay= before Sendmail's reject=.
            guard let relay = line.findLast("relay=", from: m, to: reject), let peer = PeerScanner.sendmail(line, at: relay + 6) else {
                return nil
            }
            let reply = SMTPReply.scan(line, at: reject + 9, end: line.count)
            let enhanced = reply.enhanced.map { c.field($0) }
            let verdict = classifier.classify(text: c.field(reply.text), code: reply.code, enhanced: enhanced)
            var event = c.event(.sendmail, verdict.kind)
            fill(&event, c, peer, queueID)
            event.reason = verdict.reason
            event.smtpCode = reply.code
            event.enhancedCode = enhanced
            if let zone = verdict.rblZone {
                event.rbl = c.field((reply.text.lowerBound + zone.lowerBound)..<(reply.text.lowerBound + zone.upperBound))
            }
            if let arg = line.find("arg1=<", from: m, to: relay), let close = line.index(of: UInt8(ascii: ">"), from: arg + 6, to: relay) {
                let value = c.field((arg + 6)..<close)
                if line.matches("ruleset=check_rcpt", at: m) { event.recipient = value }
                if line.matches("ruleset=check_mail", at: m) { event.sender = value }
            }
            emit(&event)
            return .events
        }
        if line.matches("AUTH failure (", at: m) || line.matches("AUTH failure:", at: m) {
            guard let relay = line.findLast("relay=", from: m), let peer = PeerScanner.sendmail(line, at: relay + 6) else { return nil }
            var event = c.event(.sendmail, .authFailed)
            fill(&event, c, peer, queueID)
            emit(&event)
            return .events
        }
        if line.matches("from=", at: m) { return envelope(c, m, queueID, emit) }
        if line.matches("lost input channel from ", at: m) {
            guard let peer = PeerScanner.sendmail(line, at: m + 24) else { return nil }
            return emitPeer(c, .lostConnection, nil, peer, queueID, emit)
        }
        if line.matches("timeout waiting for input from ", at: m) {
            guard let peer = PeerScanner.sendmail(line, at: m + 31) else { return nil }
            return emitPeer(c, .lostConnection, nil, peer, queueID, emit)
        }
        if line.matches("rejecting commands from ", at: m) {
            guard let peer = PeerScanner.sendmail(line, at: line.skipSpaces(m + 24)) else { return nil }
            return emitPeer(c, .protocolError, nil, peer, queueID, emit)
        }
        if line.matches("<", at: m), let dots = line.find(">... ", from: m) {
            return recipientRefusal(c, m, dots, queueID)
        }
        if line.matches("to=", at: m) || line.matches("STARTTLS", at: m) || line.matches("starting daemon", at: m)
            || line.matches("done;", at: m) || line.matches("clone ", at: m) || line.matches("Milter", at: m)
            || line.matches("--- ", at: m) || line.matches("<-- ", at: m) || line.matches("SYSERR", at: m)
        {
            return .skipped
        }
        // Lines that start with the client: `name [ip] (may be forged) did not issue MAIL/…`,
        // `[ip]: possible SMTP attack: command=AUTH, count=5`, `name [ip]: EXPN root [rejected]`.
        if let peer = PeerScanner.sendmail(line, at: m) {
            var rest = peer.end
            if line.matches(" (may be forged)", at: rest) { rest += 16 }
            if line.matches(" did not issue ", at: rest) {
                return emitPeer(c, .protocolError, nil, peer, queueID, emit)
            }
            if line.matches(": possible SMTP attack: command=", at: rest) {
                let kind: EventKind = line.matches("AUTH", at: rest + 32) ? .authFailed : .protocolError
                return emitPeer(c, kind, nil, peer, queueID, emit)
            }
            if line.matches(": ", at: rest), line.find(" [rejected]", from: rest) != nil {
                return emitPeer(c, .rejected, .policy, peer, queueID, emit)
            }
            if line.matches(": ", at: rest) { return .skipped }
        }
        return nil
    }

    private func emitPeer(
        _ c: LineContext, _ kind: EventKind, _ reason: RejectReason?, _ peer: PeerScanner.Peer, _ queueID: Range<Int>?,
        _ emit: (inout ParsedEvent) -> Void
    ) -> LineOutcome {
        var event = c.event(.sendmail, kind)
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
    }

    /// `<x@y>... User unknown`: remembered under its queue id until the client is known.
    private func recipientRefusal(_ c: LineContext, _ m: Int, _ dots: Int, _ queueID: Range<Int>?) -> LineOutcome {
        guard let queueID else { return .skipped }
        let line = c.line
        let text = c.field((dots + 5)..<line.count)
        let reply = SMTPReply.scan(text, at: 0, end: text.count)
        let verdict = classifier.classify(text: text.slice(reply.text.lowerBound, reply.text.upperBound), code: reply.code, enhanced: nil)
        // Sendmail logs delivery failures the same way; only refusal texts count.
        guard verdict.reason != .other || reply.code >= 400 else { return .skipped }
        let key = c.field(queueID)
        var list = pending.lookup(key) ?? []
        guard list.count < 1000 else { return .skipped }
        list.append(PendingReject(recipient: Array(line.slice(m + 1, dots)), reason: verdict.reason, kind: verdict.kind, code: reply.code))
        pending.insert(key, list)
        return .events
    }

    /// `from=<s>, size=…, nrcpts=N, …, relay=name [ip]`: resolves waiting refusals of the
    /// same queue id; an accepted message (nrcpts > 0) is a `message_accepted`.
    private func envelope(_ c: LineContext, _ m: Int, _ queueID: Range<Int>?, _ emit: (inout ParsedEvent) -> Void) -> LineOutcome? {
        let line = c.line
        guard let relay = line.findLast(", relay=", from: m) else { return .skipped }
        guard let peer = PeerScanner.sendmail(line, at: relay + 8) else {
            return .skipped  // local submission (`relay=root@localhost`)
        }
        var sender: Range<Int>?
        if line.matches("from=<", at: m), let close = line.find(">, ", from: m + 6) { sender = (m + 6)..<close }
        var outcome = LineOutcome.skipped
        if let queueID, let waiting = pending.remove(c.field(queueID)) {
            for refusal in waiting {
                refusal.recipient.withUnsafeBytes { recipient in
                    var event = c.event(.sendmail, refusal.kind)
                    fill(&event, c, peer, queueID)
                    event.reason = refusal.reason
                    event.smtpCode = refusal.code
                    event.recipient = recipient
                    if let sender { event.sender = c.field(sender) }
                    emit(&event)
                }
            }
            outcome = .events
        }
        if let n = line.find(", nrcpts=", from: m), let count = line.decimal(n + 9, line.index(of: UInt8(ascii: ","), from: n + 9) ?? line.count),
            count > 0
        {
            var event = c.event(.sendmail, .messageAccepted)
            fill(&event, c, peer, queueID)
            if let sender { event.sender = c.field(sender) }
            emit(&event)
            outcome = .events
        }
        return outcome
    }
}
