/// The per-file state of a parse: one parser per MTA met, created on first use.
struct FileRun {
    let resolver: TimeResolver
    let forced: MTA?
    private var parsers: [MTAParser?] = Array(repeating: nil, count: MTA.allCases.count)
    private var mtaLines = [Int](repeating: 0, count: MTA.allCases.count)
    private var stampCache = StampCache()

    init(resolver: TimeResolver, forced: MTA?) {
        self.resolver = resolver
        self.forced = forced
    }

    private mutating func parser(_ mta: MTA) -> MTAParser {
        let index = mta.index
        if let existing = parsers[index] { return existing }
        let made: MTAParser
        switch mta {
        case .postfix: made = PostfixParser()
        case .exim: made = EximParser(resolver: resolver)
        case .sendmail: made = SendmailParser()
        case .opensmtpd: made = OpenSMTPDParser()
        case .courier: made = CourierParser()
        case .qmail: made = QmailParser()
        case .exchange: made = ExchangeParser()
        }
        parsers[index] = made
        return made
    }

    mutating func handle(_ line: LineSlice, summary: inout FileSummary, emit: (inout ParsedEvent) -> Void) {
        if line.isTruncated {
            summary.oversized += 1
            if summary.oversizedLines.count < FileSummary.listedLineNumbers { summary.oversizedLines.append(line.number) }
            return
        }
        let bytes = line.bytes
        if Self.isBlank(bytes) {
            summary.skipped += 1
            return
        }
        let outcome: LineOutcome
        if forced == nil || forced == .exchange, bytes[0] == UInt8(ascii: "#") || bytes[0] >= 0x30 && bytes[0] <= 0x39,
            let handled = exchange(line, bytes, summary: &summary, emit: emit)
        {
            outcome = handled
        } else if JournalRecord.looksLikeOne(bytes), let record = JournalRecord(bytes), let message = record.message {
            // journald's JSON export: the same parsers over "HOST TAG[PID]: MESSAGE" rebuilt
            // from the entry's fields, the time exact from the journal, the place the JSON line's.
            let chosen = forced ?? record.identifier.withUnsafeBytes { TagTable.mta(for: $0) }
            guard let mta = chosen else {
                summary.skipped += 1
                return
            }
            let hostEnd = record.host.count
            let tagStart = hostEnd + (hostEnd > 0 ? 1 : 0)
            let tagEnd = tagStart + record.identifier.count
            var rebuilt = record.host
            if hostEnd > 0 { rebuilt.append(0x20) }
            rebuilt += record.identifier
            rebuilt += [0x3A, 0x20]
            rebuilt += message
            let mtaParser = parser(mta)
            mtaLines[mta.index] += 1
            outcome = rebuilt.withUnsafeBytes { buffer in
                let context = LineContext(
                    line: buffer, message: tagEnd + 2, host: hostEnd > 0 ? 0..<hostEnd : nil, tag: tagStart..<tagEnd, pid: record.pid,
                    time: record.realtimeMicros.map { $0 / 1000 }, hasFraction: true, number: line.number, offset: line.offset)
                return mtaParser.parse(context, emit: emit)
            }
        } else if let header = SyslogHeader.parse(bytes, stampCache: &stampCache, knownTag: { TagTable.mta(for: $0) != nil }) {
            guard let mta = forced ?? TagTable.mta(for: bytes.slice(header.tag.lowerBound, header.tag.upperBound)) else {
                summary.skipped += 1
                return
            }
            var time: Int64?
            var fraction = false
            if let stamp = header.stamp {
                time = resolver.resolve(stamp)
                fraction = stamp.hasFraction
            }
            let context = LineContext(
                line: bytes, message: header.message, host: header.host, tag: header.tag, pid: header.pid,
                time: time, hasFraction: fraction, number: line.number, offset: line.offset)
            mtaLines[mta.index] += 1
            outcome = parser(mta).parse(context, emit: emit)
        } else if forced == nil || forced == .exim, bytes[0] >= 48, bytes[0] <= 57 {
            // Raw Exim main log: `YYYY-MM-DD HH:MM:SS[.mmm] [+zzzz] …`.
            var scanner = TimestampScanner(bytes, at: 0)
            guard let stamp = scanner.isoWithSpace() else {
                record(.unparsed, line, &summary)
                return
            }
            let context = LineContext(
                line: bytes, message: bytes.skipSpaces(scanner.position), host: nil, tag: nil, pid: nil,
                time: resolver.resolve(stamp), hasFraction: stamp.hasFraction, number: line.number, offset: line.offset)
            mtaLines[MTA.exim.index] += 1
            outcome = parser(.exim).parse(context, emit: emit)
        } else {
            outcome = .unparsed
        }
        record(outcome, line, &summary)
    }

    /// Exchange's CSV logs: a W3C header line (`#Fields:` sets the columns) or a line that
    /// starts with an RFC 3339 stamp and a comma; nil for any other line.
    private mutating func exchange(_ line: LineSlice, _ bytes: UnsafeRawBufferPointer, summary: inout FileSummary, emit: (inout ParsedEvent) -> Void) -> LineOutcome? {
        if ExchangeParser.isHeader(bytes) {
            if bytes.matches("#Fields:", at: 0), let exchange = parser(.exchange) as? ExchangeParser { exchange.setFields(bytes) }
            return .skipped
        }
        guard ExchangeParser.looksLikeOne(bytes) else { return nil }
        var scanner = TimestampScanner(bytes, at: 0)
        guard let stamp = scanner.rfc3339(requireOffset: true), scanner.position < bytes.count, bytes[scanner.position] == UInt8(ascii: ",") else { return nil }
        let context = LineContext(
            line: bytes, message: 0, host: nil, tag: nil, pid: nil, time: resolver.resolve(stamp), hasFraction: stamp.hasFraction, number: line.number,
            offset: line.offset)
        mtaLines[MTA.exchange.index] += 1
        return parser(.exchange).parse(context, emit: emit)
    }

    private func record(_ outcome: LineOutcome, _ line: LineSlice, _ summary: inout FileSummary) {
        switch outcome {
        case .events:
            break
        case .skipped:
            summary.skipped += 1
        case .unparsed:
            summary.unparsed += 1
            if summary.unparsedLines.count < FileSummary.listedLineNumbers { summary.unparsedLines.append(line.number) }
        }
    }

    mutating func finish(summary: inout FileSummary) {
        for parser in parsers.compactMap({ $0 }) {
            parser.finish()
            if let sendmail = parser as? SendmailParser { summary.unresolved += sendmail.unresolved }
        }
        for (index, mta) in MTA.allCases.enumerated() where mtaLines[index] > 0 {
            summary.linesByMTA[mta.rawValue] = mtaLines[index]
        }
    }

    static func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for b in bytes where b != 0x20 && b != 0x09 { return false }
        return true
    }
}
