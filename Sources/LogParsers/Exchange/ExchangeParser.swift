import Primitives

/// Microsoft Exchange's CSV logs (W3C-style, a `#Fields:` header naming the columns):
/// - SMTP receive protocol logs (`date-time,connector-id,session-id,sequence-number,
///   local-endpoint,remote-endpoint,event,data,context`): `+` is a connection, `-` its end,
///   a `>` line with a 4xx or 5xx reply a refusal (the reason read from the reply text;
///   `535 5.7.3` a failed authentication). Every line names the client in
///   `remote-endpoint`; the session's last HELO, sender and recipient (from its `<`
///   commands) are put on the refusal.
/// - Message tracking logs (`client-ip`, `event-id`, `recipient-status`, …): `RECEIVE` is a
///   message accepted from `client-ip`, `FAIL` with a reply in `recipient-status` a refusal.
///
/// The column order comes from the last `#Fields:` line (the protocol log's standard order
/// until one is seen). Quoted fields (`"a, b"`) are read with their commas.
final class ExchangeParser: MTAParser {
    let mta = MTA.exchange
    let classifier = ReplyClassifier()

    /// The fields a line's columns hold, in order.
    private var names: [String] = ExchangeParser.protocolFields
    private var column: [String: Int] = [:]

    /// What a session said last (its `<` lines), kept bounded, for the refusal that follows.
    private struct SessionWords {
        var helo: [UInt8]?
        var sender: [UInt8]?
        var recipient: [UInt8]?
    }
    private var sessions: [[UInt8]: SessionWords] = [:]
    static let maxSessions = 16_384

    static let protocolFields = ["date-time", "connector-id", "session-id", "sequence-number", "local-endpoint", "remote-endpoint", "event", "data", "context"]

    init() { index() }

    private func index() {
        column = [:]
        for (n, name) in names.enumerated() where column[name] == nil { column[name] = n }
    }

    /// A `#Fields: a,b,c` line: the columns of the lines that follow.
    func setFields(_ line: UnsafeRawBufferPointer) {
        let text = String(decoding: line, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return }
        let fields = text[text.index(after: colon)...].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard fields.count >= 3, fields.count <= 64 else { return }
        names = fields
        index()
        sessions.removeAll(keepingCapacity: true)
    }

    /// Whether a line is an Exchange log line: an RFC 3339 UTC stamp and a comma.
    static func looksLikeOne(_ line: UnsafeRawBufferPointer) -> Bool {
        line.count > 25 && line[4] == UInt8(ascii: "-") && line[10] == UInt8(ascii: "T") && line[0] >= 0x30 && line[0] <= 0x39 && line.firstIndex(of: UInt8(ascii: ",")).map { $0 >= 20 && $0 <= 35 } == true
    }

    /// Whether a line is a W3C header (`#Software:`, `#Version:`, `#Log-type:`, `#Date:`, `#Fields:`).
    static func isHeader(_ line: UnsafeRawBufferPointer) -> Bool {
        line.count > 6 && line[0] == UInt8(ascii: "#")
            && (line.matches("#Fields:", at: 0) || line.matches("#Software:", at: 0) || line.matches("#Version:", at: 0) || line.matches("#Log-type:", at: 0)
                || line.matches("#Date:", at: 0))
    }

    /// The ranges of the line's comma-separated fields (quotes stripped from a quoted one).
    static func split(_ line: UnsafeRawBufferPointer) -> [Range<Int>] {
        var fields: [Range<Int>] = []
        var i = 0
        while i <= line.count, fields.count < 64 {
            if i < line.count, line[i] == UInt8(ascii: "\"") {
                var j = i + 1
                while j < line.count {
                    if line[j] == UInt8(ascii: "\"") {
                        if j + 1 < line.count, line[j + 1] == UInt8(ascii: "\"") {
                            j += 2
                            continue
                        }
                        break
                    }
                    j += 1
                }
                fields.append((i + 1)..<min(j, line.count))
                i = j + 1
                while i < line.count, line[i] != UInt8(ascii: ",") { i += 1 }
                i += 1
            } else {
                var j = i
                while j < line.count, line[j] != UInt8(ascii: ",") { j += 1 }
                fields.append(i..<j)
                i = j + 1
            }
        }
        return fields
    }

    func parse(_ c: LineContext, emit: (inout ParsedEvent) -> Void) -> LineOutcome {
        let line = c.line
        let fields = Self.split(line)
        func field(_ name: String) -> Range<Int>? {
            guard let n = column[name], n < fields.count else { return nil }
            return fields[n]
        }
        if let event = field("event"), let remote = field("remote-endpoint") {
            return protocolLine(c, event: event, remote: remote, session: field("session-id"), data: field("data"), emit: emit)
        }
        if let eventID = field("event-id"), let client = field("client-ip") {
            return trackingLine(c, eventID: eventID, client: client, fields: field, emit: emit)
        }
        return .unparsed
    }

    private func protocolLine(
        _ c: LineContext, event: Range<Int>, remote: Range<Int>, session: Range<Int>?, data: Range<Int>?, emit: (inout ParsedEvent) -> Void
    ) -> LineOutcome {
        let line = c.line
        guard event.count == 1 else { return .unparsed }
        let (ip, port) = Self.endpoint(c.field(remote))
        guard let ip else { return .unparsed }
        let key = session.map { Array(c.field($0)) } ?? []
        var made = c.event(.exchange, .connect)
        made.clientIP = ip
        made.clientPort = port
        switch line[event.lowerBound] {
        case UInt8(ascii: "+"):
            sessions[key] = SessionWords()
            emit(&made)
            return .events
        case UInt8(ascii: "-"):
            sessions.removeValue(forKey: key)
            made.kind = .disconnect
            emit(&made)
            return .events
        case UInt8(ascii: "<"):
            guard let data else { return .skipped }
            remember(c.field(data), session: key)
            return .skipped
        case UInt8(ascii: ">"):
            guard let data else { return .skipped }
            let reply = SMTPReply.scan(line, at: data.lowerBound, end: data.upperBound)
            guard reply.code >= 400 else { return .skipped }
            let enhanced = reply.enhanced.map { c.field($0) }
            if reply.code == 535 {
                made.kind = .authFailed
            } else if reply.code == 500 || reply.code == 501 || reply.code == 503 || c.field(reply.text).find("Too many errors", from: 0) != nil {
                made.kind = .protocolError
            } else {
                let verdict = classifier.classify(text: c.field(reply.text), code: reply.code, enhanced: enhanced)
                made.kind = verdict.kind
                made.reason = Self.refine(verdict.reason, enhanced: enhanced, text: c.field(reply.text))
                if let zone = verdict.rblZone {
                    made.rbl = c.field((reply.text.lowerBound + zone.lowerBound)..<(reply.text.lowerBound + zone.upperBound))
                }
            }
            made.smtpCode = reply.code
            made.enhancedCode = enhanced
            let words = sessions[key]
            // The words live in this parser's table; the event is handed on before the next line.
            return Self.withWords(words, made, emit)
        default:
            return .skipped
        }
    }

    /// Puts the session's HELO, sender and recipient on `event` and emits it.
    private static func withWords(_ words: SessionWords?, _ event: ParsedEvent, _ emit: (inout ParsedEvent) -> Void) -> LineOutcome {
        var event = event
        let helo = words?.helo ?? []
        let sender = words?.sender ?? []
        let recipient = words?.recipient ?? []
        helo.withUnsafeBytes { h in
            sender.withUnsafeBytes { s in
                recipient.withUnsafeBytes { r in
                    if words?.helo != nil { event.helo = h }
                    if words?.sender != nil { event.sender = s }
                    if words?.recipient != nil, event.kind != .authFailed { event.recipient = r }
                    emit(&event)
                }
            }
        }
        return .events
    }

    /// Notes `EHLO`/`HELO`, `MAIL FROM:<…>` and `RCPT TO:<…>`.
    private func remember(_ command: UnsafeRawBufferPointer, session key: [UInt8]) {
        guard command.count >= 5, command.count <= 1000 else { return }
        var words = sessions[key] ?? SessionWords()
        if command.matchesIgnoringCase("ehlo ", at: 0) || command.matchesIgnoringCase("helo ", at: 0) {
            words.helo = Array(command[5...]).trimmed()
        } else if command.matchesIgnoringCase("mail from:", at: 0) {
            words.sender = Self.angle(command, from: 10)
            words.recipient = nil
        } else if command.matchesIgnoringCase("rcpt to:", at: 0) {
            words.recipient = Self.angle(command, from: 8)
        } else {
            return
        }
        if sessions[key] == nil, sessions.count >= Self.maxSessions { sessions.removeAll(keepingCapacity: true) }
        sessions[key] = words
    }

    /// The address between `<` and `>` after `from`, or the rest of the command.
    static func angle(_ command: UnsafeRawBufferPointer, from: Int) -> [UInt8] {
        guard let open = command[from...].firstIndex(of: UInt8(ascii: "<")) else { return Array(command[from...]).trimmed() }
        let close = command[(open + 1)...].firstIndex(of: UInt8(ascii: ">")) ?? command.count
        return Array(command[(open + 1)..<close])
    }

    private func trackingLine(
        _ c: LineContext, eventID: Range<Int>, client: Range<Int>, fields: (String) -> Range<Int>?, emit: (inout ParsedEvent) -> Void
    ) -> LineOutcome {
        let id = c.field(eventID)
        let receive = id.matches("RECEIVE", at: 0) && id.count == 7
        let fail = id.matches("FAIL", at: 0) && id.count == 4
        guard receive || fail else { return .skipped }
        // Tracking logs record the transport's own hops too; only SMTP arrivals name a client.
        if let source = fields("source"), !c.field(source).matches("SMTP", at: 0), receive { return .skipped }
        guard let ip = IPAddress.parse(c.field(client)) else { return client.isEmpty ? .skipped : .unparsed }
        var made = c.event(.exchange, receive ? .messageAccepted : .rejected)
        made.clientIP = ip
        if let host = fields("client-hostname"), !host.isEmpty { made.clientName = c.field(host) }
        if let sender = fields("sender-address"), !sender.isEmpty { made.sender = c.field(sender) }
        if let recipient = fields("recipient-address"), !recipient.isEmpty {
            // Several recipients are separated by `;`: the first is named.
            let r = c.field(recipient)
            made.recipient = c.field(recipient.lowerBound..<(recipient.lowerBound + (r.firstIndex(of: UInt8(ascii: ";")) ?? r.count)))
        }
        if fail {
            guard let status = fields("recipient-status") else { return .unparsed }
            let reply = SMTPReply.scan(c.line, at: status.lowerBound, end: status.upperBound)
            let enhanced = reply.enhanced.map { c.field($0) }
            let verdict = classifier.classify(text: c.field(reply.text), code: reply.code, enhanced: enhanced)
            made.kind = reply.code == 0 ? .rejected : verdict.kind
            made.reason = Self.refine(verdict.reason, enhanced: enhanced, text: c.field(reply.text))
            made.smtpCode = reply.code
            made.enhancedCode = enhanced
        }
        emit(&made)
        return .events
    }

    /// Exchange's own words for an unknown recipient (`5.1.10 RESOLVER.ADR.RecipientNotFound`,
    /// `RecipNotFound`), which the general classifier does not know.
    static func refine(_ reason: RejectReason?, enhanced: UnsafeRawBufferPointer?, text: UnsafeRawBufferPointer) -> RejectReason? {
        guard reason == .other || reason == nil else { return reason }
        if let enhanced, enhanced.count == 6, enhanced.matches("5.1.10", at: 0) { return .unknownRecipient }
        if text.find("RecipientNotFound", from: 0) != nil || text.find("RecipNotFound", from: 0) != nil { return .unknownRecipient }
        return reason
    }

    /// `203.0.113.7:51234` or `[2001:db8::7]:51234` (PeerScanner's forms; port 0 when none).
    static func endpoint(_ text: UnsafeRawBufferPointer) -> (IPAddress?, UInt16) {
        if let bracketed = PeerScanner.bracketed(text, open: 0) { return (bracketed.ip, bracketed.port) }
        guard let colon = text.lastIndex(of: UInt8(ascii: ":")) else { return (IPAddress.parse(text), 0) }
        // More than one colon and no brackets: an IPv6 address without a port.
        if text[..<colon].contains(UInt8(ascii: ":")) { return (IPAddress.parse(text), 0) }
        return (IPAddress.parse(text.slice(0, colon)), PeerScanner.scanPort(text, colon).0)
    }

    func finish() { sessions.removeAll() }
}

extension Array where Element == UInt8 {
    /// Without surrounding spaces.
    func trimmed() -> [UInt8] {
        var start = startIndex
        var end = endIndex
        while start < end, self[start] == 0x20 { start += 1 }
        while end > start, self[end - 1] == 0x20 { end -= 1 }
        return Array(self[start..<end])
    }
}
