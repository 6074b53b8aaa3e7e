import Demo
import EnforcementEngine
import LogParsers
import Primitives

/// A deterministic registry of many networks in the shared address space 100.64.0.0/10:
/// blocks of four addresses registered as /30, /31 or /32, every 256th block's /24 too
/// (nesting), statuses mostly active; and some IPv6 /48s.
struct SyntheticRegistry {
    var networks = 1_000_000
    var seed: UInt64 = 7

    struct Entry {
        var network: String
        var status: String
        var registrant: String
        var contact: String
        var since: String
        /// An address inside the network (for queries).
        var sample: String
    }

    func entries(changedFraction: Double = 0, changeSeed: UInt64 = 0) -> [Entry] {
        var rng = SplitMix64(seed: seed)
        var change = SplitMix64(seed: changeSeed)
        var list: [Entry] = []
        list.reserveCapacity(networks + networks / 256)
        let v6Count = networks / 100
        for i in 0..<(networks - v6Count) {
            let base = 0x6440_0000 + UInt32(i) * 4
            let roll = rng.next() % 100
            let prefix = roll < 70 ? 30 : (roll < 85 ? 31 : 32)
            var statusRoll = rng.next() % 100
            let day = Int(rng.next() % 300)
            var contact = "abuse@r\(i / 3).example.net"
            var since = Self.date(day)
            if changedFraction > 0, Double(change.next() % 10_000) / 10_000 < changedFraction {
                statusRoll = (statusRoll + 50) % 100
                contact = "noc@r\(i / 3).example.net"
                since = Self.date(day + 30)
            }
            let status = statusRoll < 90 ? "active" : (statusRoll < 96 ? "suspended" : "revoked")
            list.append(Entry(network: "\(Self.dotted(base))/\(prefix)", status: status, registrant: "R-\(i / 3)", contact: contact, since: since, sample: Self.dotted(base)))
            if i % 256 == 0 {
                list.append(Entry(network: "\(Self.dotted(base & 0xFFFF_FF00))/24", status: "active", registrant: "R-BLOCK-\(i / 256)", contact: "noc@block\(i / 256).example.net", since: Self.date(0), sample: Self.dotted(base | 0xF0)))
            }
        }
        for j in 0..<v6Count {
            list.append(Entry(network: "2001:db8:\(String(j >> 16, radix: 16)):\(String(j & 0xFFFF, radix: 16))::/64", status: "active", registrant: "R6-\(j)", contact: "abuse@v6-\(j).example.net", since: Self.date(j % 300), sample: "2001:db8:\(String(j >> 16, radix: 16)):\(String(j & 0xFFFF, radix: 16))::1"))
        }
        return list
    }

    func csv(_ entries: [Entry]) -> String {
        var text = "network,registrant,status,abuse_contact,since\n"
        text.reserveCapacity(entries.count * 70)
        for e in entries { text += "\(e.network),\(e.registrant),\(e.status),\(e.contact),\(e.since)\n" }
        return text
    }

    /// rbldnsd ip4set data for the IPv4 entries, in the FORMATS.md §4 conventions.
    func rbldnsdData(_ entries: [Entry]) -> String {
        var text = "$SOA 300 ns.reg.example.org hostmaster.reg.example.org 1 3600 600 604800 60\n$NS 300 ns.reg.example.org\n"
        text.reserveCapacity(entries.count * 70)
        for e in entries where !e.network.contains(":") {
            let code = e.status == "active" ? 2 : (e.status == "suspended" ? 3 : 4)
            text += "\(e.network) :\(code):v=reg1; status=\(e.status); registrant=\(e.registrant)\n"
        }
        return text
    }

    static func dotted(_ v: UInt32) -> String { "\(v >> 24).\((v >> 16) & 255).\((v >> 8) & 255).\(v & 255)" }

    static func date(_ day: Int) -> String {
        let (y, m, d) = CivilTime.date(days: CivilTime.days(year: 2026, month: 1, day: 1) + day)
        return "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)T00:00:00Z"
    }
}

