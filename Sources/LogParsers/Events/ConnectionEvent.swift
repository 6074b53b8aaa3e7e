/// One connection-relevant fact from an MTA log (FORMATS.md §2), as an owned value.
///
/// The parsers produce `ParsedEvent` views over their buffers; this is the copy a caller
/// keeps. JSON keys are the snake_case names of FORMATS.md §2.
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

    /// UTC time as ISO 8601 text (`2026-11-28T03:14:15Z`), or nil when the line carries none.
    public var time: String?
    public var mta: MTA
    public var host: String?
    public var process: String?
    public var pid: Int?
    public var kind: EventKind
    public var reason: RejectReason?
    public var clientIP: String?
    /// The client's TCP port, when the MTA logs it (Postfix `smtpd_client_port_logging`,
    /// Exim `incoming_port`).
    public var clientPort: Int?
    public var clientName: String?
    public var helo: String?
    public var sender: String?
    public var recipient: String?
    public var smtpCode: String?
    public var enhancedCode: String?
    public var rbl: String?
    public var queueID: String?
    public var source: Source

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
}
