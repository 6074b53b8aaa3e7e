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
        try forEach(merging: { try merge(reading: read, $0) }, body)
    }

    /// The same from `merge`, which hands over each record that differs and whether the old
    /// zone has it (a deletion) or the new one (an addition).
    func forEach(merging merge: (_ body: @escaping (DNSMessage.Record, _ deleted: Bool) throws -> Void) throws -> Void, _ body: (DNSMessage.Record?) throws -> Void) throws {
        var held: [DNSMessage.Record]? = []
        // `body` is called only during this call (the compiler cannot tell through `merge`).
        try withoutActuallyEscaping(body) { body in
            try merge { record, deleted in
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
                try merge { record, deleted in if !deleted { try body(record) } }
            }
        }
    }

    /// The parts of the address space the changes between two serials can touch: the
    /// networks changed (`RegistryStore.changedNetworks`), those inside another dropped.
    /// Nil where only the whole merge is right: a /0, an IPv4 network whose first octet is a
    /// single digit or an IPv6 one wider than /16 (names of one or two or three single-digit
    /// labels can be IPv4 and IPv6 names at once, `*.2`).
    static func windows(_ changed: [IPNetwork]) -> [IPNetwork]? {
        var windows: [IPNetwork] = []
        for network in changed {
            let v4 = network.address.family == .v4
            if network.prefixLength == 0 || (v4 && network.address.v4Value >> 24 < 10) || (!v4 && network.prefixLength < 16) { return nil }
            if let last = windows.last, last.address.family == network.address.family, last.contains(network.address), last.prefixLength <= network.prefixLength { continue }
            windows.append(network)
        }
        return windows
    }

    /// The merge window by window: in each, the names inside it from the networks covering
    /// or inside it at both serials; then the fill wildcards above the windows, each decided
    /// at both serials from its own facts (`fill`).
    func merge(
        windows: [IPNetwork], reading read: any RegistryStore.WindowRead, from: Int64, to: Int64, _ body: @escaping (DNSMessage.Record, _ deleted: Bool) throws -> Void
    ) throws {
        var ancestors: [IPNetwork] = []
        var seen = Set<IPNetwork>()
        for window in windows {
            let unit = window.address.family == .v4 ? 8 : 4
            let old = try read.records(around: window, through: from)
            let new = try read.records(around: window, through: to)
            try mergeNames(old: old.next, new: new.next, keeping: { window.contains($0.address) && $0.level * unit >= window.prefixLength }, body)
            var length = unit
            while length < window.prefixLength {
                let ancestor = IPNetwork(uncheckedAddress: window.address, prefixLength: length)
                if seen.insert(ancestor).inserted { ancestors.append(ancestor) }
                length += unit
            }
        }
        for ancestor in ancestors {
            let before = try fill(ancestor, read, through: from)
            let after = try fill(ancestor, read, through: to)
            try handChanges(from: before.map { export.records(of: $0) } ?? [], to: after.map { export.records(of: $0) } ?? [], body)
        }
    }

    /// The fill wildcard of the aligned prefix `prefix` at serial `recordID`, if the zone has
    /// one there: when no network of its own gives it an answer, a wildcard above it does,
    /// and a network strictly inside it answers (so names below it exist). An IPv6 one of
    /// single-digit labels gives way to the IPv4 name it equals.
    func fill(_ prefix: IPNetwork, _ read: any RegistryStore.WindowRead, through recordID: Int64) throws -> ZoneExport.Entry? {
        let v4 = prefix.address.family == .v4
        let unit = v4 ? 8 : 4
        let level = prefix.prefixLength / unit
        if try own(prefix, read, through: recordID) != nil { return nil }
        var covering: ZoneAnswerStream.Answer?
        for above in stride(from: level - 1, through: 0, by: -1) {
            covering = try own(IPNetwork(uncheckedAddress: prefix.address, prefixLength: above * unit), read, through: recordID)
            if covering != nil { break }
        }
        guard let covering, try read.hasAnsweringNetwork(inside: prefix, through: recordID) else { return nil }
        if !v4, level <= 3 {
            let nibbles = (0..<level).map { Int((prefix.address.high >> UInt64(60 - 4 * $0)) & 0xF) }
            if nibbles.allSatisfy({ $0 < 10 }) {
                var value: UInt32 = 0
                for (i, nibble) in nibbles.enumerated() { value |= UInt32(nibble) << UInt32(24 - 8 * i) }
                let twin = IPNetwork(uncheckedAddress: IPAddress(v4: value), prefixLength: level * 8)
                if try own(twin, read, through: recordID) != nil || fill(twin, read, through: recordID) != nil { return nil }
            }
        }
        return ZoneExport.Entry(
            family: v4 ? 4 : 6, address: prefix.address, level: level, isWildcard: true, code: covering.code, text: covering.text, length: covering.length)
    }

    /// The answer of the aligned prefix's own wildcard at `recordID`: the longest answering
    /// network that expands to it (a prefix length down to one octet or nibble shorter).
    func own(_ prefix: IPNetwork, _ read: any RegistryStore.WindowRead, through recordID: Int64) throws -> ZoneAnswerStream.Answer? {
        let unit = prefix.address.family == .v4 ? 8 : 4
        var length = prefix.prefixLength
        while length >= 0, length > prefix.prefixLength - unit {
            if let record = try read.record(of: IPNetwork(uncheckedAddress: prefix.address, prefixLength: length), through: recordID),
                let code = record.registrationStatus.dnsAnswer?.3
            {
                return ZoneAnswerStream.Answer(code: code, text: ZoneExport.text(record), length: length)
            }
            length -= 1
        }
        return nil
    }

    /// One merge of the two whole zones: each record only in the old one (deleted) or only
    /// in the new one.
    private func merge(
        reading read: (_ pass: ([() throws -> RegistrationRecord?]) throws -> Void) throws -> Void,
        _ body: @escaping (DNSMessage.Record, _ deleted: Bool) throws -> Void
    ) throws {
        try read { cursors in try mergeNames(old: cursors[0], new: cursors[1], keeping: { _ in true }, body) }
    }

    /// Merges the names two zones make from their registrations, in zone order, handing over
    /// the records of the names `keeping` keeps that only one zone has or that changed.
    private func mergeNames(
        old oldRecords: @escaping () throws -> RegistrationRecord?, new newRecords: @escaping () throws -> RegistrationRecord?,
        keeping keep: (ZoneExport.Entry) -> Bool, _ body: (DNSMessage.Record, _ deleted: Bool) throws -> Void
    ) throws {
        var old = Names(next: oldRecords, stream: ZoneAnswerStream(export: export))
        var new = Names(next: newRecords, stream: ZoneAnswerStream(export: export))
        var a = try old.pull()
        var b = try new.pull()
        while a != nil || b != nil {
            if let x = a, b == nil || x.precedes(b!) {
                if keep(x) { for record in export.records(of: x) { try body(record, true) } }
                a = try old.pull()
            } else if let y = b, a == nil || y.precedes(a!) {
                if keep(y) { for record in export.records(of: y) { try body(record, false) } }
                b = try new.pull()
            } else {
                // The same name in both: its records that changed, if its answer did.
                if keep(a!), a!.code != b!.code || a!.text != b!.text {
                    try handChanges(from: export.records(of: a!), to: export.records(of: b!), body)
                }
                a = try old.pull()
                b = try new.pull()
            }
        }
    }

    /// One name's records that went (`before` only) and came (`after` only).
    private func handChanges(from before: [DNSMessage.Record], to after: [DNSMessage.Record], _ body: (DNSMessage.Record, _ deleted: Bool) throws -> Void) throws {
        for record in before where !after.contains(record) { try body(record, true) }
        for record in after where !before.contains(record) { try body(record, false) }
    }
}
