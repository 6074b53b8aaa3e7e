import Primitives

/// `ZoneExport`'s owner names and answers, made from registrations handed over one at a
/// time in zone order (family, then address, then prefix length), holding only the
/// networks that enclose the current one: a zone of any size is written, or transferred,
/// with flat memory.
///
/// Each network expands to its aligned keys (`ZoneExport.owners`); the keys of all
/// networks are merged in pre-order (address, then aligned length, so a name comes before
/// the names below it). A key leaves the merge once the next network starts after it: no
/// later network can make it again. Where several networks make the same key, the longest
/// prefix keeps it. Walking keys in pre-order keeps the path from the apex to the current
/// key, one step per label, so the empty non-terminals a key creates are met on the way
/// down, each filled with the answer of the nearest wildcard above it.
struct ZoneAnswerStream {
    let export: ZoneExport
    private var family = 4
    private var expansions: [Expansion] = []
    /// The current key's ancestors by level (labels below the apex); a level's prefix and
    /// the answer its wildcard gives, if any.
    private var path: [Step?] = Array(repeating: nil, count: 33)
    /// The IPv4 wildcard owners whose labels are single digits: the IPv6 names equal to
    /// them (`*.2`, `*.0.2`) are left out, the IPv4 answer kept.
    private var digitOwners: Set<String> = []
    private var last: (family: Int, network: IPNetwork)?

    init(export: ZoneExport) {
        self.export = export
    }

    /// What a name answers, and the prefix length of the network it is of.
    struct Answer {
        var code: UInt8
        var text: String
        var length: Int
    }

    /// The keys of one network not yet merged: `count` aligned prefixes of `aligned` bits
    /// from the network's address, the `next` one at `current`.
    private struct Expansion {
        var network: IPNetwork
        var aligned: Int
        var count: Int
        var next = 0
        var current: IPAddress
        var answer: Answer

        mutating func advance() {
            next += 1
            let bits = network.address.family == .v4 ? 32 : 128
            current = ZoneExport.address(network.address, adding: UInt64(next), at: bits - aligned)
        }
    }

    private struct Step {
        var prefix: IPAddress
        var answer: Answer?
    }

    /// Takes the next network. Records must come in zone order; those whose status gives no
    /// answer are left out.
    mutating func add(_ record: RegistrationRecord, emit: (ZoneExport.Entry) throws -> Void) throws {
        let network = record.ipNetwork
        if let last {
            precondition(
                last.family < record.family
                    || (last.family == record.family
                        && (last.network.address < network.address || (last.network.address == network.address && last.network.prefixLength < network.prefixLength))),
                "zone export: registrations out of zone order")
        }
        last = (record.family, network)
        if record.family != family {
            try merge(before: nil, emit: emit)
            family = record.family
            path = Array(repeating: nil, count: path.count)
        }
        guard let code = record.registrationStatus.dnsAnswer?.3 else { return }
        try merge(before: network.address, emit: emit)
        let (aligned, count) = try export.alignment(of: network)
        let answer = Answer(code: code, text: ZoneExport.text(record), length: network.prefixLength)
        expansions.append(Expansion(network: network, aligned: aligned, count: count, current: network.address, answer: answer))
    }

    /// Hands over what is left.
    mutating func finish(emit: (ZoneExport.Entry) throws -> Void) throws {
        try merge(before: nil, emit: emit)
    }

    /// Hands over, in pre-order, every key before `limit` (all of them when nil).
    private mutating func merge(before limit: IPAddress?, emit: (ZoneExport.Entry) throws -> Void) throws {
        while let first = expansions.first {
            var key = (address: first.current, aligned: first.aligned)
            for expansion in expansions.dropFirst() where (expansion.current, expansion.aligned) < key {
                key = (expansion.current, expansion.aligned)
            }
            if let limit, !(key.address < limit) { return }
            var answer: Answer?
            var index = 0
            while index < expansions.count {
                if expansions[index].current == key.address, expansions[index].aligned == key.aligned {
                    if answer == nil || expansions[index].answer.length > answer!.length { answer = expansions[index].answer }
                    expansions[index].advance()
                    if expansions[index].next == expansions[index].count {
                        expansions.remove(at: index)
                        continue
                    }
                }
                index += 1
            }
            try place(key.address, aligned: key.aligned, answer!, emit: emit)
        }
    }

    /// Hands over the key's name, after wildcards for the empty non-terminals above it that
    /// it is the first to need.
    private mutating func place(_ address: IPAddress, aligned: Int, _ answer: Answer, emit: (ZoneExport.Entry) throws -> Void) throws {
        let unit = family == 4 ? 8 : 4
        let hostLevel = (family == 4 ? 32 : 128) / unit
        let level = aligned / unit
        var ancestor = 1
        while ancestor < level {
            let prefix = IPNetwork(uncheckedAddress: address, prefixLength: ancestor * unit).address
            if path[ancestor]?.prefix != prefix {
                var covering: Answer?
                for above in stride(from: ancestor - 1, through: 0, by: -1) {
                    if let found = path[above]?.answer {
                        covering = found
                        break
                    }
                }
                path[ancestor] = Step(prefix: prefix, answer: covering)
                if let covering { try hand(prefix, level: ancestor, wildcard: true, covering, emit: emit) }
            }
            ancestor += 1
        }
        if level < hostLevel {
            path[level] = Step(prefix: address, answer: answer)
            try hand(address, level: level, wildcard: true, answer, emit: emit)
        } else {
            try hand(address, level: level, wildcard: false, answer, emit: emit)
        }
    }

    private mutating func hand(_ prefix: IPAddress, level: Int, wildcard: Bool, _ answer: Answer, emit: (ZoneExport.Entry) throws -> Void) throws {
        let entry = ZoneExport.Entry(family: family, address: prefix, level: level, isWildcard: wildcard, code: answer.code, text: answer.text, length: answer.length)
        // Only wildcards three labels deep or less can be both an IPv4 and an IPv6 name.
        if wildcard, level <= 3 {
            if family == 4, (0..<level).allSatisfy({ (prefix.v4Value >> UInt32(24 - 8 * $0)) & 0xFF < 10 }) {
                digitOwners.insert(entry.owner)
            } else if family == 6, !digitOwners.isEmpty, digitOwners.contains(entry.owner) {
                return
            }
        }
        try emit(entry)
    }
}
