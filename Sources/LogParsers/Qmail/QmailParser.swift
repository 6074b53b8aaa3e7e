import Primitives
/// qmail and its companions: `tcpserver` (connections), `rblsmtpd` (DNSBL refusals) and
/// `qmail-smtpd` RBL patches, directly or behind a `qmail:` tag with a TAI stamp.
final class QmailParser: MTAParser {
    let mta = MTA.qmail

    func parse(_ c: LineContext, emit: (inout ParsedEvent) -> Void) -> LineOutcome {
        let line = c.line
        var m = c.message
        // A `1157520813.485077 ` (TAI/epoch) or `@4000000…` stamp before the program.
        let first = line.tokenEnd(m)
        if first > m, line[m] == UInt8(ascii: "@") || Self.isEpochStamp(c.field(m..<first)) {
            m = line.skipSpaces(first)
        }
        var program = c.tag.map { c.field($0) }
        // `qmail: … rblsmtpd: …` names the real program in the message.
        let token = line.tokenEnd(m)
        if token > m, line[token - 1] == UInt8(ascii: ":"), token - m <= 24 {
            let name = c.field(m..<(token - 1))
            if name.matches("rblsmtpd", at: 0) || name.matches("qmail-smtpd", at: 0) || name.matches("tcpserver", at: 0) {
                program = name
                m = line.skipSpaces(token)
            }
        }
        guard let program else { return .skipped }
        if program.matches("tcpserver", at: 0) { return tcpserver(c, m, emit) }
        if program.matches("rblsmtpd", at: 0) { return rblsmtpd(c, m, emit) }
        if program.matches("qmail-smtpd", at: 0) {
            // `421 badiprbl: ip 198.51.100.54 rbl: zone`
            if let ipAt = line.find(" ip ", from: m) {
                let end = line.tokenEnd(ipAt + 4)
                guard let ip = IPAddress.parse(c.field((ipAt + 4)..<end)) else { return .unparsed }
                let reply = SMTPReply.scan(line, at: m, end: line.count)
                var event = c.event(.qmail, reply.code >= 400 && reply.code < 500 ? .deferred : .rejected)
                event.clientIP = ip
                event.smtpCode = reply.code
                event.reason = .rbl
                if let rbl = line.find(" rbl: ", from: end) { event.rbl = c.field((rbl + 6)..<line.tokenEnd(rbl + 6)) } else { event.reason = .policy }
                emit(&event)
                return .events
            }
        }
        return RelevanceHeuristic.looksRelevant(line, from: m) ? .unparsed : .skipped
    }

    /// `1157520813.485077`: seconds, one dot, fraction.
    static func isEpochStamp(_ token: UnsafeRawBufferPointer) -> Bool {
        var dots = 0
        for byte in token {
            if byte == UInt8(ascii: ".") {
                dots += 1
            } else if byte < 48 || byte > 57 {
                return false
            }
        }
        return dots == 1 && token.count >= 12
    }

    /// `pid 1234 from 1.2.3.4` (connect), `deny 1234 local:ip:port :remote:…` (refused).
    private func tcpserver(_ c: LineContext, _ m: Int, _ emit: (inout ParsedEvent) -> Void) -> LineOutcome {
        let line = c.line
        if line.matches("pid ", at: m), let from = line.find(" from ", from: m) {
            let start = from + 6
            guard let ip = IPAddress.parse(c.field(start..<line.tokenEnd(start))) else { return .unparsed }
            var event = c.event(.qmail, .connect)
            event.clientIP = ip
            emit(&event)
            return .events
        }
        if line.matches("deny ", at: m) {
            // `deny PID LOCALHOST:LOCALIP:LOCALPORT REMOTEHOST:REMOTEIP:REMOTEINFO:REMOTEPORT`
            let pidEnd = line.tokenEnd(line.skipSpaces(m + 5))
            let localEnd = line.tokenEnd(line.skipSpaces(pidEnd))
            let remote = line.skipSpaces(localEnd)
            guard let colon = line.index(of: UInt8(ascii: ":"), from: remote, to: line.tokenEnd(remote)),
                let end = line.index(of: UInt8(ascii: ":"), from: colon + 1),
                let ip = IPAddress.parse(c.field((colon + 1)..<end))
            else { return .unparsed }
            var event = c.event(.qmail, .rejected)
            event.clientIP = ip
            event.reason = .policy
            emit(&event)
            return .events
        }
        return .skipped
    }

    /// `198.51.100.77 pid 19597 zone: 451 text` or `zone blocked 193.111.120.47 …`.
    private func rblsmtpd(_ c: LineContext, _ m: Int, _ emit: (inout ParsedEvent) -> Void) -> LineOutcome {
        let line = c.line
        let firstEnd = line.tokenEnd(m)
        if let ip = IPAddress.parse(c.field(m..<firstEnd)) {
            var event = c.event(.qmail, .rejected)
            event.clientIP = ip
            event.reason = .rbl
            if let pidAt = line.find(" pid ", from: firstEnd, to: min(line.count, firstEnd + 6)) {
                let zoneStart = line.skipSpaces(line.tokenEnd(pidAt + 5))
                let zoneEnd = line.tokenEnd(zoneStart)
                if zoneEnd > zoneStart, line[zoneEnd - 1] == UInt8(ascii: ":") {
                    event.rbl = c.field(zoneStart..<(zoneEnd - 1))
                    let reply = SMTPReply.scan(line, at: zoneEnd, end: line.count)
                    event.smtpCode = reply.code
                    if reply.code >= 400, reply.code < 500 { event.kind = .deferred }
                }
            }
            emit(&event)
            return .events
        }
        if line.matches(" blocked ", at: firstEnd) {
            let start = firstEnd + 9
            guard let ip = IPAddress.parse(c.field(start..<line.tokenEnd(start))) else { return .unparsed }
            var event = c.event(.qmail, .rejected)
            event.clientIP = ip
            event.reason = .rbl
            event.rbl = c.field(m..<firstEnd)
            emit(&event)
            return .events
        }
        return RelevanceHeuristic.looksRelevant(line, from: m) ? .unparsed : .skipped
    }
}
