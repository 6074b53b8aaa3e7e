import Primitives

/// The differences between the zone at two registry serials (an IXFR's deletions and
/// additions, RFC 1995), worked out by merging the two zones' names in zone order while
/// both are read from the store side by side: memory stays flat whatever the zone's size.
struct ZoneDifferences {
    let export: ZoneExport
    /// Additions held back while the deletions are sent, so that one merge of the two
    /// zones does; past this many, a second merge makes them again instead.
    var heldAdditions = 50_000

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
    /// nil, then the records of the new zone that the old one lacks (the additions). One
    /// merge over `read`'s pair of cursors (old, new) in zone order sends the deletions and
    /// holds the additions (the few a day's changes make); when they are more than
    /// `heldAdditions`, a second merge makes them again.
    func forEach(
        reading read: (_ pass: ([() throws -> RegistrationRecord?]) throws -> Void) throws -> Void, _ body: (DNSMessage.Record?) throws -> Void
    ) throws {
        var held: [DNSMessage.Record]? = []
        // `body` is called only during this call (the compiler cannot tell through `read`).
        try withoutActuallyEscaping(body) { body in
            try merge(reading: read) { record, deleted in
                if deleted {
                    try body(record)
                } else if held != nil {
                    held!.append(record)
                    if held!.count > heldAdditions { held = nil }
                }
            }
            try body(nil)
            if let held {
                for record in held { try body(record) }
            } else {
                try merge(reading: read) { record, deleted in if !deleted { try body(record) } }
            }
        }
    }

    /// One merge of the two zones: each record only in the old one (deleted) or only in the
    /// new one.
    private func merge(
        reading read: (_ pass: ([() throws -> RegistrationRecord?]) throws -> Void) throws -> Void,
        _ body: @escaping (DNSMessage.Record, _ deleted: Bool) throws -> Void
    ) throws {
        try read { cursors in
            var old = Names(next: cursors[0], stream: ZoneAnswerStream(export: export))
            var new = Names(next: cursors[1], stream: ZoneAnswerStream(export: export))
            var a = try old.pull()
            var b = try new.pull()
            while a != nil || b != nil {
                if let x = a, b == nil || x.precedes(b!) {
                    for record in export.records(of: x) { try body(record, true) }
                    a = try old.pull()
                } else if let y = b, a == nil || y.precedes(a!) {
                    for record in export.records(of: y) { try body(record, false) }
                    b = try new.pull()
                } else {
                    // The same name in both: its records that changed, if its answer did.
                    if a!.code != b!.code || a!.text != b!.text {
                        let (before, after) = (export.records(of: a!), export.records(of: b!))
                        for record in before where !after.contains(record) { try body(record, true) }
                        for record in after where !before.contains(record) { try body(record, false) }
                    }
                    a = try old.pull()
                    b = try new.pull()
                }
            }
        }
    }
}
