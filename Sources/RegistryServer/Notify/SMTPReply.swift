import NIOCore

/// A reply of an SMTP server (RFC 5321 §4.2): a three-digit code and one or more lines of
/// text (`250-…` continues, `250 …` ends).
struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    var code: Int
    var lines: [String]

    var isPositive: Bool { (200..<400).contains(code) }
    var isTransient: Bool { (400..<500).contains(code) }

    /// The code and the text, lines joined by " / " (what the case's history shows).
    var description: String { "\(code) " + lines.joined(separator: " / ") }

    /// EHLO keywords, upper-cased, with their parameters (the first line is the greeting).
    var extensions: [String: [String]] {
        var out: [String: [String]] = [:]
        for line in lines.dropFirst() {
            let words = line.split(separator: " ").map(String.init)
            guard let keyword = words.first else { continue }
            out[keyword.uppercased()] = words.dropFirst().map { $0.uppercased() }
        }
        return out
    }
}

/// Splits what the server sends into replies. Bounded: a line longer than 2,048 bytes or a
/// reply of more than 100 lines is a protocol error (a hostile or broken relay cannot make
/// the client buffer without end).
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    static let maxLine = 2048
    static let maxLines = 100
    private var pending: [String] = []
    private var pendingCode: Int?

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maxLine { throw Malformed(description: "a reply line longer than \(Self.maxLine) bytes") }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        guard length <= Self.maxLine else { throw Malformed(description: "a reply line longer than \(Self.maxLine) bytes") }
        var line = buffer.readBytes(length: length + 1)!.dropLast()
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        guard line.count >= 3, line.prefix(3).allSatisfy({ (0x30...0x39).contains($0) }), line.count == 3 || line[line.startIndex + 3] == 0x20 || line[line.startIndex + 3] == 0x2D
        else { throw Malformed(description: "not an SMTP reply: \(Self.printable(line))") }
        let code = Int(String(decoding: line.prefix(3), as: UTF8.self))!
        if let pendingCode, pendingCode != code { throw Malformed(description: "a reply whose lines change code (\(pendingCode), then \(code))") }
        pendingCode = code
        pending.append(line.count > 4 ? Self.printable(line.dropFirst(4)) : "")
        guard pending.count <= Self.maxLines else { throw Malformed(description: "a reply of more than \(Self.maxLines) lines") }
        if line.count > 3 && line[line.startIndex + 3] == 0x2D { return .continue }
        context.fireChannelRead(wrapInboundOut(SMTPReply(code: code, lines: pending)))
        pending = []
        pendingCode = nil
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue, buffer.readableBytes > 0 {}
        return .needMoreData
    }

    /// Reply text as it may be stored and shown: printable ASCII, anything else as `?`.
    static func printable<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        String(decoding: bytes.map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}
