import Foundation
import LogParsers
import Primitives

/// What the parsers read in one excerpt line again at export: the envelope addresses,
/// the client's port and the time, for the X-ARF report and the recipient pseudonyms.
package struct ExcerptFacts: Sendable {
    package var time: Int64?
    package var kind: EventKind?
    package var sender: [UInt8]?
    package var recipient: [UInt8]?
    package var clientPort: UInt16?
    package var clientIP: IPAddress?

    /// Parses `line` as the reporter's MTA logged it (zone of the reporter, years resolved
    /// at or before `reference`). A line that yields no event on its own (a Sendmail reply
    /// waiting for its `relay=` line, say) gives empty facts.
    package static func read(_ line: [UInt8], timeZone: TimeZone?, reference: Int64) -> ExcerptFacts {
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
