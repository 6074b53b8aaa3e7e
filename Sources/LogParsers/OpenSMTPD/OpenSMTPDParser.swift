import Primitives
/// OpenSMTPD (`smtpd[pid]: <session> smtp …`, 6.x format). The client address is logged
/// once, on `connected`; later lines name only the session, so sessions are tracked
/// (bounded) from `connected` to `disconnected`.
final class OpenSMTPDParser: MTAParser {
    let mta = MTA.opensmtpd
    let classifier = ReplyClassifier()
    private var sessions = QueueIDTable<IPAddress>(capacity: 16384)

    func parse(_ c: LineContext, emit: (inout ParsedEvent) -> Void) -> LineOutcome {
        let line = c.line
        let m = c.message
        let idEnd = line.tokenEnd(m)
        guard idEnd - m >= 8, idEnd - m <= 20, Self.isHex(line, m, idEnd) else {
            return RelevanceHeuristic.looksRelevant(line, from: m) ? .unparsed : .skipped
        }
        let session = m..<idEnd
        let key = c.field(session)
        var i = line.skipSpaces(idEnd)
        guard line.matches("smtp ", at: i) else { return .skipped }
        i += 5
        if line.matches("connected address=", at: i) {
            let start = i + 18
            let end = line.tokenEnd(start)
            guard let ip = IPAddress.parse(c.field(start..<end)) else {
                return line.matches("local", at: start) ? .skipped : .unparsed
            }
            sessions.insert(key, ip)
            var event = c.event(.opensmtpd, .connect)
            event.clientIP = ip
            event.queueID = key
            if let host = line.find(" host=", from: end) { event.clientName = c.field((host + 6)..<line.tokenEnd(host + 6)) }
            emit(&event)
            return .events
        }
        guard let ip = sessions.lookup(key) else {
            // A session whose start is not in this file: nothing to attribute it to.
            return .skipped
        }
        var event = c.event(.opensmtpd, .disconnect)
        event.clientIP = ip
        event.queueID = key
        if line.matches("disconnected", at: i) {
            sessions.remove(key)
            // `reason=disconnect` is the client dropping the line without QUIT.
            if line.find("reason=disconnect", from: i) != nil || line.find("reason=io-error", from: i) != nil {
                event.kind = .lostConnection
            } else if line.find("reason=timeout", from: i) != nil {
                event.kind = .lostConnection
            }
            emit(&event)
            return .events
        }
        if line.matches("failed-command ", at: i) || line.matches("bad-input ", at: i) {
            guard let result = line.find("result=\"", from: i) else { return .unparsed }
            let start = result + 8
            let end = line.lastIndex(of: UInt8(ascii: "\""), from: start) ?? line.count
            let reply = SMTPReply.scan(line, at: start, end: end)
            let enhanced = reply.enhanced.map { c.field($0) }
            if line.matches("bad-input ", at: i) || reply.code == 500 || reply.code == 501 || reply.code == 503 {
                event.kind = .protocolError
                event.smtpCode = reply.code
                emit(&event)
                return .events
            }
            let verdict = classifier.classify(text: c.field(reply.text), code: reply.code, enhanced: enhanced)
            event.kind = verdict.kind
            event.reason = verdict.reason
            event.smtpCode = reply.code
            event.enhancedCode = enhanced
            if let zone = verdict.rblZone {
                event.rbl = c.field((reply.text.lowerBound + zone.lowerBound)..<(reply.text.lowerBound + zone.upperBound))
            }
            if let command = line.find("command=\"RCPT TO:<", from: i), let close = line.index(of: UInt8(ascii: ">"), from: command + 18, to: start) {
                event.recipient = c.field((command + 18)..<close)
            } else if let command = line.find("command=\"MAIL FROM:<", from: i), let close = line.index(of: UInt8(ascii: ">"), from: command + 20, to: start) {
                event.sender = c.field((command + 20)..<close)
            }
            emit(&event)
            return .events
        }
        if line.matches("authentication ", at: i) {
            guard line.find("result=permfail", from: i) != nil || line.find("result=tempfail", from: i) != nil else { return .skipped }
            event.kind = .authFailed
            emit(&event)
            return .events
        }
        if line.matches("message ", at: i) {
            event.kind = .messageAccepted
            emit(&event)
            return .events
        }
        return .skipped
    }

    static func isHex(_ line: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        for i in start..<end where IPAddress.hexValue(line[i]) == nil { return false }
        return true
    }
}
