import Primitives

/// A name server of the zone (`--ns NAME[=ADDR]`, repeatable): the apex lists every one in
/// its NS set, the first is the SOA's MNAME, and one whose name is inside the zone is given
/// its addresses as A and AAAA records there (glue for the parent's delegation, and what
/// resolvers and Zonemaster ask for).
public struct NameServer: Sendable, Equatable {
    public var name: DNSName
    public var addresses: [IPAddress]

    public init(name: DNSName, addresses: [IPAddress] = []) {
        self.name = name
        self.addresses = addresses
    }

    /// `NAME` or `NAME=ADDR`.
    public static func parse(_ text: String) -> NameServer? {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard let first = parts.first, let name = DNSName(first), !name.labels.isEmpty else { return nil }
        if parts.count == 2 {
            guard let address = IPAddress(parts[1]) else { return nil }
            return NameServer(name: name, addresses: [address])
        }
        return NameServer(name: name)
    }

    /// Several `--ns` values, in order, one entry per name (`ns1=192.0.2.53` and
    /// `ns1=2001:db8::53` give ns1 both addresses); `ns.ZONE` when there are none.
    public static func list(_ texts: [String], zone: DNSName) -> [NameServer] {
        var out: [NameServer] = []
        for server in texts.compactMap(parse) {
            if let index = out.firstIndex(where: { $0.name == server.name }) {
                out[index].addresses += server.addresses.filter { !out[index].addresses.contains($0) }
            } else {
                out.append(server)
            }
        }
        return out.isEmpty ? [NameServer(name: DNSName(labels: [Array("ns".utf8)] + zone.labels))] : out
    }

    /// Whether the name is inside `zone` (below its apex): then its addresses are the zone's
    /// to give.
    public func isInside(_ zone: DNSName) -> Bool {
        guard let inside = name.prefix(under: zone) else { return false }
        return !inside.isEmpty
    }

    /// Its A and AAAA records, owned by `owner` (the name as asked).
    public func addressRecords(owner: DNSName? = nil, ttl: UInt32, v4: Bool = true, v6: Bool = true) -> [DNSMessage.Record] {
        addresses.compactMap { address in
            if address.family == .v4 {
                return v4 ? DNSMessage.Record(name: owner ?? name, type: DNSType.a, ttl: ttl, data: .a(address.v4Value)) : nil
            }
            guard v6 else { return nil }
            return DNSMessage.Record(name: owner ?? name, type: DNSType.aaaa, ttl: ttl, data: .other(address.networkBytes))
        }
    }
}
