/// The `; from=<…> to=<…> proto=… helo=<…>` trailer Postfix appends to rejects (postscreen
/// separates the fields with commas).
struct PostfixTrailer {
    /// Where the reply text ends (the trailer's `;`, or the end of the line).
    var replyEnd: Int
    var sender: Range<Int>?
    var recipient: Range<Int>?
    var helo: Range<Int>?

    static func scan(_ line: UnsafeRawBufferPointer, from: Int) -> PostfixTrailer {
        var trailer = PostfixTrailer(replyEnd: line.count)
        guard let semicolon = line.find("; from=<", from: from) ?? line.find("; proto=", from: from) ?? line.find("; helo=<", from: from) else {
            return trailer
        }
        trailer.replyEnd = semicolon
        if line.matches("; from=<", at: semicolon) {
            let start = semicolon + 8
            if let end = valueEnd(line, start) {
                trailer.sender = start..<end
                if let to = line.find("to=<", from: end, to: min(line.count, end + 8)) {
                    if let toEnd = valueEnd(line, to + 4) { trailer.recipient = (to + 4)..<toEnd }
                }
            }
        }
        if let helo = line.findLast("helo=<", from: semicolon) {
            let start = helo + 6
            // The HELO runs to its closing `>`: the last one before `>:` or the line's end.
            let end = line.find(">: ", from: start) ?? (line.lastIndex(of: UInt8(ascii: ">"), from: start) ?? line.count)
            trailer.helo = start..<max(start, end)
        }
        return trailer
    }

    /// The `>` that closes a `<…>` value: followed by a space, a comma or the end.
    private static func valueEnd(_ line: UnsafeRawBufferPointer, _ start: Int) -> Int? {
        var i = start
        while let close = line.index(of: UInt8(ascii: ">"), from: i) {
            if close + 1 == line.count || line[close + 1] == 0x20 || line[close + 1] == UInt8(ascii: ",") { return close }
            i = close + 1
        }
        return nil
    }

    func apply(to event: inout ParsedEvent, _ c: LineContext) {
        if let sender { event.sender = c.field(sender) }
        if let recipient { event.recipient = c.field(recipient) }
        if let helo { event.helo = c.field(helo) }
    }
}
