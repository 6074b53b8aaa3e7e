import NIOCore
import Primitives

/// Who may transfer the zone and what they get (RFC 5936 AXFR, and RFC 1995 IXFR answered
/// with the whole zone, over TCP only): the configured networks; anyone else is REFUSED.
public struct ZoneTransfer: Sendable {
    public var allowed: [IPNetwork]
    /// The zone's records, the SOA first, as of now (read from the registry per transfer).
    public var records: @Sendable () throws -> [DNSMessage.Record]

    public init(allowed: [IPNetwork], records: @escaping @Sendable () throws -> [DNSMessage.Record]) {
        self.allowed = allowed
        self.records = records
    }

    /// Transfers of `store`'s zone as of each transfer's time, to `allowed`.
    public static func of(
        _ store: RegistryStore, zone: DNSName, ttl: UInt32, negativeTTL: UInt32, nameServers: [NameServer], allowed: [IPNetwork],
        clock: @escaping @Sendable () -> Int64 = { WallClock.system.nowMillis() }
    ) -> ZoneTransfer {
        ZoneTransfer(allowed: allowed) {
            let export = ZoneExport(
                zone: zone, ttl: ttl, negativeTTL: negativeTTL, nameServers: nameServers, serial: UInt32(truncatingIfNeeded: max(1, try store.latestRecordID())))
            return try export.records(try store.currentRecords(at: clock()))
        }
    }

    /// An address (a host network) or a network, as `--allow-transfer` takes them.
    public static func network(_ text: String) -> IPNetwork? {
        if let network = try? IPNetwork(parsing: text) { return network }
        return IPAddress(text).map { IPNetwork(uncheckedAddress: $0, prefixLength: $0.family == .v4 ? 32 : 128) }
    }

    /// Whether a client at `address` may transfer the zone.
    public func permits(_ address: SocketAddress?) -> Bool {
        guard let text = address?.ipAddress, let ip = IPAddress(text) else { return false }
        return allowed.contains { $0.contains(ip) }
    }

    /// The messages of an AXFR answer to `query`: the records (SOA first) and the SOA again
    /// at the end, packed into messages of at most `limit` bytes; the question in the first.
    public static func messages(answering query: DNSMessage, records: [DNSMessage.Record], limit: Int = 16_000) -> [[UInt8]] {
        guard let soa = records.first else { return [] }
        var all = records
        all.append(soa)
        var messages: [[UInt8]] = []
        var current = response(to: query, withQuestion: true)
        var size = current.encode().count
        for record in all {
            var single = DNSMessage(id: 0)
            single.answers = [record]
            let cost = single.encode().count - 12
            if size + cost > limit, !current.answers.isEmpty {
                messages.append(current.encode())
                current = response(to: query, withQuestion: false)
                size = current.encode().count
            }
            current.answers.append(record)
            size += cost
        }
        messages.append(current.encode())
        return messages
    }

    /// An IXFR (RFC 1995) from a secondary that has the current serial already: the SOA
    /// alone. Any other IXFR gets the whole zone, as an AXFR would (RFC 1995 §4: no
    /// history of differences is kept).
    public static func upToDate(_ query: DNSMessage, records: [DNSMessage.Record]) -> [UInt8]? {
        guard query.questions.first?.type == DNSType.ixfr, let soa = records.first, case .soa(_, _, let current, _, _, _, _) = soa.data,
            let theirs = query.authority.first(where: { $0.type == DNSType.soa }), case .soa(_, _, let known, _, _, _, _) = theirs.data,
            !isNewer(current, than: known)
        else { return nil }
        var message = response(to: query, withQuestion: true)
        message.answers = [soa]
        return message.encode()
    }

    /// Serial number arithmetic (RFC 1982): whether `a` follows `b`.
    public static func isNewer(_ a: UInt32, than b: UInt32) -> Bool {
        a != b && Int32(bitPattern: a &- b) > 0
    }

    /// REFUSED to a transfer not allowed.
    public static func refusal(to query: DNSMessage) -> [UInt8] {
        var message = response(to: query, withQuestion: true)
        message.rcode = DNSResponseCode.refused
        return message.encode()
    }

    static func response(to query: DNSMessage, withQuestion: Bool) -> DNSMessage {
        var message = DNSMessage(id: query.id)
        message.isResponse = true
        message.authoritative = true
        message.opcode = query.opcode
        if withQuestion { message.questions = Array(query.questions.prefix(1)) }
        return message
    }
}
