import Foundation
import LogParsers
import Primitives

/// What the parsers read in one excerpt line again at export: the envelope addresses,
/// the client's port and the time, for the X-ARF report and the recipient pseudonyms.
struct ExcerptFacts {
    var time: Int64?
    var kind: EventKind?
    var sender: [UInt8]?
    var recipient: [UInt8]?
    var clientPort: UInt16?
    var clientIP: IPAddress?

    /// Parses `line` as the reporter's MTA logged it (zone of the reporter, years resolved
    /// at or before `reference`). A line that yields no event on its own (a Sendmail reply
    /// waiting for its `relay=` line, say) gives empty facts.
    static func read(_ line: [UInt8], timeZone: TimeZone?, reference: Int64) -> ExcerptFacts {
        var facts = ExcerptFacts()
        let parser = LogFileParser(options: ParseOptions(referenceMillis: reference, timeZone: timeZone))
        _ = parser.parse(bytes: line + [0x0A], name: "excerpt") { event in
            guard facts.kind == nil else { return }
            facts.kind = event.kind
            if event.hasTime { facts.time = event.time }
            facts.sender = event.sender.map { Array($0) }
            facts.recipient = event.recipient.map { Array($0) }
            if event.clientPort != 0 { facts.clientPort = event.clientPort }
            facts.clientIP = event.clientIP
        }
        return facts
    }
}
