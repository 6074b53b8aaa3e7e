import Primitives
/// Decides whether a message no parser rule matched still looks connection-relevant
/// (then it is counted as unparsed, a sign of format drift) or is housekeeping (skipped).
enum RelevanceHeuristic {
    static func looksRelevant(_ line: UnsafeRawBufferPointer, from: Int) -> Bool {
        let body = line.slice(from, line.count)
        if body.findIgnoringCase("reject", from: 0) != nil { return true }
        if body.findIgnoringCase("denied", from: 0) != nil { return true }
        if body.findIgnoringCase("authentication fail", from: 0) != nil { return true }
        if body.findIgnoringCase("lost connection", from: 0) != nil { return true }
        // A bracketed address after "from" is how every MTA names a client.
        if let fromAt = body.findIgnoringCase("from ", from: 0), let open = body.index(of: UInt8(ascii: "["), from: fromAt),
            open + 1 < body.count, IPAddress.hexValue(body[open + 1]) != nil || body[open + 1] == UInt8(ascii: ":")
        {
            return true
        }
        return false
    }
}
