import Primitives

/// Registries of random nested networks for model checks, reproducible from a seed: IPv4 in
/// octets that are single digits too (`*.2` is also an IPv6 name), IPv6 with the top bit of
/// either word set (SQLite orders those words signed).
struct RandomRegistry {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }

    static let clusters: [(base: IPAddress, length: Int)] = [
        (IPAddress("10.0.0.0")!, 8), (IPAddress("2.0.0.0")!, 7), (IPAddress("198.51.100.0")!, 22), (IPAddress("2001:db8::")!, 32), (IPAddress("fd00::")!, 8),
        (IPAddress("2::")!, 16), (IPAddress("2001:db8:0:1:8000::")!, 64),
    ]
    static let statuses = ["active", "suspended", "revoked"]

    /// A network inside one of the clusters, of a random prefix length at least the cluster's.
    mutating func network() -> IPNetwork {
        let cluster = Self.clusters[next(Self.clusters.count)]
        let bits = cluster.base.family == .v4 ? 32 : 128
        let length = min(bits, cluster.length + next(bits - cluster.length + 8))
        let high = cluster.base.high | (UInt64(next(Int.max)) &* 0x9E37_79B9_7F4A_7C15 >> UInt64(min(63, cluster.length)))
        let low = cluster.base.low | UInt64(next(Int.max)) << 1 | UInt64(next(2))
        let address =
            cluster.base.family == .v4
            ? IPAddress(v4: cluster.base.v4Value | UInt32(truncatingIfNeeded: low) >> UInt32(cluster.length)) : IPAddress(v6High: high, low: low)
        return IPNetwork(uncheckedAddress: address, prefixLength: max(length, cluster.length))
    }

    /// Registry CSV of about `networks` distinct networks (and how many), registrants
    /// numbered from `firstRegistrant`.
    mutating func csv(networks count: Int, firstRegistrant: Int = 100_000) -> (csv: String, networks: Int) {
        var networks = Set<IPNetwork>()
        for _ in 0..<count { networks.insert(network()) }
        var csv = "network,registrant,status,abuse_contact,since\n"
        for (n, network) in networks.sorted(by: { $0.description < $1.description }).enumerated() {
            csv += "\(network),R-\(firstRegistrant + n),\(Self.statuses[next(3)]),noc@example.net,2026-01-01T00:00:00Z\n"
        }
        return (csv, networks.count)
    }
}
