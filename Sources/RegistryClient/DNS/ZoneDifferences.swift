import Primitives

/// The differences between the zone at two registry serials (an IXFR's deletions and
/// additions, RFC 1995), worked out by merging the two zones' names in zone order while
/// both are read from the store side by side: memory stays flat whatever the zone's size.
struct ZoneDifferences {
    let export: ZoneExport

    /// One zone's names pulled one at a time, made from registrations pulled one at a time.
    private struct Names {
        let next: () throws -> RegistrationRecord?
        var stream: ZoneAnswerStream
        var buffer: [ZoneExport.Entry] = []
        var index = 0
        var finished = false

        mutating func pull() throws -> ZoneExport.Entry? {
            while index == buffer.count {
                guard !finished else { return nil }
                var made: [ZoneExport.Entry] = []
                if let record = try next() {
                    try stream.add(record) { made.append($0) }
                } else {
                    finished = true
                    try stream.finish { made.append($0) }
                }
                buffer = made
                index = 0
            }
            index += 1
            return buffer[index - 1]
        }
    }

    /// Hands over the records of the old zone that the new one lacks (the deletions), then
    /// nil, then the records of the new zone that the old one lacks (the additions): two
    /// passes, each over `read`'s fresh pair of cursors (old, new) in zone order.
    func forEach(
        reading read: (_ pass: ([() throws -> RegistrationRecord?]) throws -> Void) throws -> Void, _ body: (DNSMessage.Record?) throws -> Void
    ) throws {
        // `body` is called only during this call (the compiler cannot tell through `read`).
        try withoutActuallyEscaping(body) { body in
            try pass(deletions: true, reading: read, body)
            try body(nil)
            try pass(deletions: false, reading: read, body)
        }
    }

    /// One pass of the merge: the deletions or the additions.
    private func pass(
        deletions: Bool, reading read: (_ pass: ([() throws -> RegistrationRecord?]) throws -> Void) throws -> Void,
        _ body: @escaping (DNSMessage.Record?) throws -> Void
    ) throws {
        try read { cursors in
            var old = Names(next: cursors[0], stream: ZoneAnswerStream(export: export))
            var new = Names(next: cursors[1], stream: ZoneAnswerStream(export: export))
            var a = try old.pull()
            var b = try new.pull()
            while a != nil || b != nil {
                if let x = a, b == nil || x.precedes(b!) {
                    if deletions { for record in export.records(of: x) { try body(record) } }
                    a = try old.pull()
                } else if let y = b, a == nil || y.precedes(a!) {
                    if !deletions { for record in export.records(of: y) { try body(record) } }
                    b = try new.pull()
                } else if a!.code == b!.code, a!.text == b!.text {
                    // The same name with the same answer: nothing to send.
                    a = try old.pull()
                    b = try new.pull()
                } else {
                    // The same name in both: its records that changed.
                    let (before, after) = (export.records(of: a!), export.records(of: b!))
                    for record in deletions ? before : after where !(deletions ? after : before).contains(record) { try body(record) }
                    a = try old.pull()
                    b = try new.pull()
                }
            }
        }
    }
}
