import Primitives
/// Courier's `courieresmtpd`: `error,relay=::ffff:1.2.3.4,from=<…>,to=<…>: 550 User unknown.`
/// and `error,relay=…,msg="535 Authentication failed.",cmd: AUTH …`.
final class CourierParser: MTAParser {
    let mta = MTA.courier
    let classifier = ReplyClassifier()

    func parse(_ c: LineContext, emit: (inout ParsedEvent) -> Void) -> LineOutcome {
        let line = c.line
        let m = c.message
        if line.matches("started,ip=[", at: m) {
            guard let close = line.index(of: UInt8(ascii: "]"), from: m + 12), let ip = IPAddress.parse(c.field((m + 12)..<close)) else {
                return .unparsed
            }
            var event = c.event(.courier, .connect)
            event.clientIP = ip
            emit(&event)
            return .events
        }
        guard line.matches("error,relay=", at: m) else {
            return RelevanceHeuristic.looksRelevant(line, from: m) ? .unparsed : .skipped
        }
        let start = m + 12
        guard let comma = line.index(of: UInt8(ascii: ","), from: start) ?? (line.index(of: UInt8(ascii: ":"), from: start + 7).map { _ in line.count }),
            let ip = IPAddress.parse(c.field(start..<min(comma, line.count)))
        else { return .unparsed }
        var event = c.event(.courier, .rejected)
        event.clientIP = ip
        if let msg = line.find(",msg=\"", from: start) {
            let textStart = msg + 6
            let textEnd = line.index(of: UInt8(ascii: "\""), from: textStart) ?? line.count
            let reply = SMTPReply.scan(line, at: textStart, end: textEnd)
            if reply.code == 535 || line.find("Authentication failed", from: textStart, to: textEnd) != nil {
                event.kind = .authFailed
                event.smtpCode = reply.code
                emit(&event)
                return .events
            }
            return classifyAndEmit(&event, c, reply, emit)
        }
        // The reply follows the last `>: ` (after to=<…>) or the first `: `.
        let replyStart = (line.findLast(">: ", from: start).map { $0 + 3 }) ?? (line.find(": ", from: start).map { $0 + 2 }) ?? line.count
        if let from = line.find(",from=<", from: start), let close = line.index(of: UInt8(ascii: ">"), from: from + 7) {
            event.sender = c.field((from + 7)..<close)
        }
        if let to = line.find(",to=<", from: start), let close = line.index(of: UInt8(ascii: ">"), from: to + 5) {
            event.recipient = c.field((to + 5)..<close)
        }
        let reply = SMTPReply.scan(line, at: replyStart, end: line.count)
        return classifyAndEmit(&event, c, reply, emit)
    }

    private func classifyAndEmit(_ event: inout ParsedEvent, _ c: LineContext, _ reply: SMTPReply, _ emit: (inout ParsedEvent) -> Void) -> LineOutcome {
        let enhanced = reply.enhanced.map { c.field($0) }
        let verdict = classifier.classify(text: c.field(reply.text), code: reply.code, enhanced: enhanced)
        event.kind = verdict.kind
        event.reason = verdict.reason
        event.smtpCode = reply.code
        event.enhancedCode = enhanced
        if let zone = verdict.rblZone {
            event.rbl = c.field((reply.text.lowerBound + zone.lowerBound)..<(reply.text.lowerBound + zone.upperBound))
        }
        emit(&event)
        return .events
    }
}
