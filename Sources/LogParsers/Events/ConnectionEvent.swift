import Primitives

/// One connection-relevant fact from an MTA log (FORMATS.md §2), as an owned, typed value:
/// what a caller keeps of an event. The parsers hand out `ParsedEvent`, a view over their
/// buffers valid during the callback, for the hot paths (`parse`, ingest); `materialize`
/// copies one into this. Encoded, it is exactly the JSON Lines object `parse` prints (keys
/// of FORMATS.md §2, `null` for absent values).
public struct ConnectionEvent: Sendable, Codable, Equatable {
    public struct Source: Sendable, Codable, Equatable {
        public var file: String
        /// 1-based line number.
        public var line: Int
        /// Byte offset of the line's first byte in the uncompressed stream.
        public var offset: UInt64

        public init(file: String, line: Int, offset: UInt64) {
            self.file = file
            self.line = line
            self.offset = offset
        }
    }

    /// UTC milliseconds, nil when the line carries no usable time.
    public var time: Int64?
    /// Whether the log's stamp had a fraction of a second (the JSON then shows `.mmm`).
    public var hasFraction: Bool
    public var mta: MTA
    public var host: String?
    public var process: String?
    public var pid: Int32?
    public var kind: EventKind
    public var reason: RejectReason?
    /// The TCP peer as the MTA logged it, never a name from HELO.
    public var clientIP: IPAddress?
    /// The client's TCP port, when the MTA logs it (Postfix `smtpd_client_port_logging`,
    /// Exim `incoming_port`).
    public var clientPort: UInt16?
    public var clientName: String?
    public var helo: String?
    public var sender: String?
    public var recipient: String?
    public var smtpCode: UInt16?
    public var enhancedCode: String?
    public var rbl: String?
    public var queueID: String?
    public var source: Source

    /// The time as `parse` prints it (`2026-11-28T03:14:15Z`, `.mmm` when the log had a
    /// fraction).
    public var timeText: String? { time.map { ISOTime.format(millis: $0, fraction: hasFraction) } }

    enum CodingKeys: String, CodingKey {
        case time, mta, host, process, pid, kind, reason
        case clientIP = "client_ip"
        case clientPort = "client_port"
        case clientName = "client_name"
        case helo, sender, recipient
        case smtpCode = "smtp_code"
        case enhancedCode = "enhanced_code"
        case rbl
        case queueID = "queue_id"
        case source
    }

    public struct DecodingFailure: Error, CustomStringConvertible {
        public var field: String
        public var value: String
        public var description: String { "\(field) '\(value)' is not valid in a connection event" }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let timeText = try c.decodeIfPresent(String.self, forKey: .time)
        if let timeText {
            guard let millis = ISOTime.parse(timeText) else { throw DecodingFailure(field: "time", value: timeText) }
            time = millis
        }
        hasFraction = timeText?.contains(".") ?? false
        mta = try c.decode(MTA.self, forKey: .mta)
        host = try c.decodeIfPresent(String.self, forKey: .host)
        process = try c.decodeIfPresent(String.self, forKey: .process)
        pid = try c.decodeIfPresent(Int32.self, forKey: .pid)
        kind = try c.decode(EventKind.self, forKey: .kind)
        reason = try c.decodeIfPresent(RejectReason.self, forKey: .reason)
        if let text = try c.decodeIfPresent(String.self, forKey: .clientIP) {
            guard let ip = IPAddress(text) else { throw DecodingFailure(field: "client_ip", value: text) }
            clientIP = ip
        }
        clientPort = try c.decodeIfPresent(UInt16.self, forKey: .clientPort)
        clientName = try c.decodeIfPresent(String.self, forKey: .clientName)
        helo = try c.decodeIfPresent(String.self, forKey: .helo)
        sender = try c.decodeIfPresent(String.self, forKey: .sender)
        recipient = try c.decodeIfPresent(String.self, forKey: .recipient)
        if let code = try c.decodeIfPresent(String.self, forKey: .smtpCode) {
            guard let number = UInt16(code) else { throw DecodingFailure(field: "smtp_code", value: code) }
            smtpCode = number
        }
        enhancedCode = try c.decodeIfPresent(String.self, forKey: .enhancedCode)
        rbl = try c.decodeIfPresent(String.self, forKey: .rbl)
        queueID = try c.decodeIfPresent(String.self, forKey: .queueID)
        source = try c.decode(Source.self, forKey: .source)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(timeText, forKey: .time)
        try c.encode(mta, forKey: .mta)
        try c.encode(host, forKey: .host)
        try c.encode(process, forKey: .process)
        try c.encode(pid, forKey: .pid)
        try c.encode(kind, forKey: .kind)
        try c.encode(reason, forKey: .reason)
        try c.encode(clientIP?.description, forKey: .clientIP)
        try c.encode(clientPort, forKey: .clientPort)
        try c.encode(clientName, forKey: .clientName)
        try c.encode(helo, forKey: .helo)
        try c.encode(sender, forKey: .sender)
        try c.encode(recipient, forKey: .recipient)
        try c.encode(smtpCode.map(String.init), forKey: .smtpCode)
        try c.encode(enhancedCode, forKey: .enhancedCode)
        try c.encode(rbl, forKey: .rbl)
        try c.encode(queueID, forKey: .queueID)
        try c.encode(source, forKey: .source)
    }

    public init(
        time: Int64?, hasFraction: Bool, mta: MTA, host: String?, process: String?, pid: Int32?, kind: EventKind, reason: RejectReason?, clientIP: IPAddress?,
        clientPort: UInt16?, clientName: String?, helo: String?, sender: String?, recipient: String?, smtpCode: UInt16?, enhancedCode: String?, rbl: String?,
        queueID: String?, source: Source
    ) {
        self.time = time
        self.hasFraction = hasFraction
        self.mta = mta
        self.host = host
        self.process = process
        self.pid = pid
        self.kind = kind
        self.reason = reason
        self.clientIP = clientIP
        self.clientPort = clientPort
        self.clientName = clientName
        self.helo = helo
        self.sender = sender
        self.recipient = recipient
        self.smtpCode = smtpCode
        self.enhancedCode = enhancedCode
        self.rbl = rbl
        self.queueID = queueID
        self.source = source
    }
}
