/// An SMTP reply as logged: `550 5.1.1 <x@y>: Recipient address rejected: …`.
struct SMTPReply {
    /// 0 when no three-digit code starts the text.
    var code: UInt16 = 0
    var enhanced: Range<Int>?
    /// The text after the codes.
    var text: Range<Int>

    /// Reads a reply at `at..<end`: an optional code, an optional enhanced code, then text.
    static func scan(_ line: UnsafeRawBufferPointer, at: Int, end: Int) -> SMTPReply {
        var i = line.skipSpaces(at)
        var reply = SMTPReply(text: i..<end)
        if i + 3 <= end, let code = line.decimal(i, i + 3), code >= 200, code < 600,
            i + 3 == end || line[i + 3] == 0x20 || line[i + 3] == UInt8(ascii: "-")
        {
            reply.code = UInt16(code)
            i = min(end, i + 4)
        }
        // class.subject.detail, with or without a reply code before it.
        var j = i
        var dots = 0
        while j < end, (line[j] >= 48 && line[j] <= 57) || line[j] == UInt8(ascii: ".") {
            if line[j] == UInt8(ascii: ".") { dots += 1 }
            j += 1
        }
        let first = i < end ? line[i] : 0
        if dots == 2, j >= i + 5, j == end || line[j] == 0x20, first == UInt8(ascii: "2") || first == UInt8(ascii: "4") || first == UInt8(ascii: "5") {
            reply.enhanced = i..<j
            i = min(end, j + 1)
        }
        reply.text = line.skipSpaces(i)..<end
        return reply
    }
}
