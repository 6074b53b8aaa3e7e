import Primitives
/// Writes events as JSON Lines in the key order of FORMATS.md §2, straight from the
/// parser's byte views (no intermediate Strings).
public struct EventJSONWriter {
    private var fileName: [UInt8] = []

    public init() {}

    /// Sets the `source.file` value for the events that follow.
    public mutating func setFile(_ name: String) {
        fileName.removeAll(keepingCapacity: true)
        JSONBytes.appendString(name, to: &fileName)
    }

    public func append(_ e: ParsedEvent, to out: inout [UInt8]) {
        JSONBytes.appendLiteral("{\"time\":", to: &out)
        if e.hasTime {
            out.append(UInt8(ascii: "\""))
            ISOTime.append(millis: e.time, fraction: e.hasFraction, to: &out)
            out.append(UInt8(ascii: "\""))
        } else {
            JSONBytes.appendLiteral("null", to: &out)
        }
        JSONBytes.appendLiteral(",\"mta\":\"", to: &out)
        out.append(contentsOf: e.mta.rawValue.utf8)
        JSONBytes.appendLiteral("\",\"host\":", to: &out)
        field(e.host, &out)
        JSONBytes.appendLiteral(",\"process\":", to: &out)
        field(e.process, &out)
        JSONBytes.appendLiteral(",\"pid\":", to: &out)
        if let pid = e.pid { JSONBytes.appendInteger(pid, to: &out) } else { JSONBytes.appendLiteral("null", to: &out) }
        JSONBytes.appendLiteral(",\"kind\":\"", to: &out)
        out.append(contentsOf: e.kind.name.utf8)
        JSONBytes.appendLiteral("\",\"reason\":", to: &out)
        if let reason = e.reason {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: reason.name.utf8)
            out.append(UInt8(ascii: "\""))
        } else {
            JSONBytes.appendLiteral("null", to: &out)
        }
        JSONBytes.appendLiteral(",\"client_ip\":", to: &out)
        if let ip = e.clientIP {
            out.append(UInt8(ascii: "\""))
            ip.appendText(to: &out)
            out.append(UInt8(ascii: "\""))
        } else {
            JSONBytes.appendLiteral("null", to: &out)
        }
        JSONBytes.appendLiteral(",\"client_port\":", to: &out)
        if e.clientPort != 0 { JSONBytes.appendInteger(e.clientPort, to: &out) } else { JSONBytes.appendLiteral("null", to: &out) }
        JSONBytes.appendLiteral(",\"client_name\":", to: &out)
        field(e.clientName, &out)
        JSONBytes.appendLiteral(",\"helo\":", to: &out)
        field(e.helo, &out)
        JSONBytes.appendLiteral(",\"sender\":", to: &out)
        field(e.sender, &out)
        JSONBytes.appendLiteral(",\"recipient\":", to: &out)
        field(e.recipient, &out)
        JSONBytes.appendLiteral(",\"smtp_code\":", to: &out)
        if e.smtpCode != 0 {
            out.append(UInt8(ascii: "\""))
            JSONBytes.appendInteger(e.smtpCode, to: &out)
            out.append(UInt8(ascii: "\""))
        } else {
            JSONBytes.appendLiteral("null", to: &out)
        }
        JSONBytes.appendLiteral(",\"enhanced_code\":", to: &out)
        field(e.enhancedCode, &out)
        JSONBytes.appendLiteral(",\"rbl\":", to: &out)
        field(e.rbl, &out)
        JSONBytes.appendLiteral(",\"queue_id\":", to: &out)
        field(e.queueID, &out)
        JSONBytes.appendLiteral(",\"source\":{\"file\":", to: &out)
        out.append(contentsOf: fileName)
        JSONBytes.appendLiteral(",\"line\":", to: &out)
        JSONBytes.appendInteger(e.line, to: &out)
        JSONBytes.appendLiteral(",\"offset\":", to: &out)
        JSONBytes.appendInteger(e.offset, to: &out)
        JSONBytes.appendLiteral("}}\n", to: &out)
    }

    @inline(__always)
    private func field(_ value: ByteField?, _ out: inout [UInt8]) {
        if let value {
            JSONBytes.appendString(value, to: &out)
        } else {
            JSONBytes.appendLiteral("null", to: &out)
        }
    }
}
