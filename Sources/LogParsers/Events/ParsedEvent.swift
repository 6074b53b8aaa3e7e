import Primitives
/// An event as a parser finds it: scalar values plus views into the current line (or the
/// parser's own buffers). Valid only inside the callback that receives it; call
/// `materialize(file:)` to keep it.
public struct ParsedEvent {
    /// Milliseconds since 1970-01-01T00:00:00Z; meaningful only when `hasTime`.
    public var time: Int64 = 0
    public var hasTime = false
    /// Whether the log gave a fraction of a second (then JSON shows `.mmm`).
    public var hasFraction = false
    public var mta: MTA
    public var kind: EventKind
    public var reason: RejectReason?
    public var clientIP: IPAddress?
    /// The client's TCP port when the MTA logged it, else 0.
    public var clientPort: UInt16 = 0
    public var clientName: ByteField?
    public var helo: ByteField?
    public var sender: ByteField?
    public var recipient: ByteField?
    /// The three-digit SMTP reply code, 0 when none was logged.
    public var smtpCode: UInt16 = 0
    public var enhancedCode: ByteField?
    public var rbl: ByteField?
    public var queueID: ByteField?
    public var host: ByteField?
    public var process: ByteField?
    public var pid: Int32?
    /// 1-based line number of the line that names the client.
    public var line: Int = 0
    /// Byte offset of that line in the uncompressed stream.
    public var offset: UInt64 = 0

    public init(mta: MTA, kind: EventKind) {
        self.mta = mta
        self.kind = kind
    }

    /// Copies the event out of the parser's buffers.
    public func materialize(file: String) -> ConnectionEvent {
        ConnectionEvent(
            time: hasTime ? time : nil, hasFraction: hasFraction, mta: mta, host: host?.text, process: process?.text, pid: pid, kind: kind, reason: reason,
            clientIP: clientIP, clientPort: clientPort == 0 ? nil : clientPort, clientName: clientName?.text, helo: helo?.text, sender: sender?.text,
            recipient: recipient?.text, smtpCode: smtpCode == 0 ? nil : smtpCode, enhancedCode: enhancedCode?.text, rbl: rbl?.text, queueID: queueID?.text,
            source: .init(file: file, line: line, offset: offset))
    }
}
