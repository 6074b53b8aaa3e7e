import Foundation
import Glibc

/// Issue 16's per-core comparison: rbldnsd and `serve-dns` (default threads, one thread,
/// and `--xdp lo` where this machine allows it), each alone on core 1 with dnsperf on core 0:
/// first flat out (q/s, and answers per second of the process's CPU time), then at one fixed
/// rate (answers per second of core 1's busy time, `DNSCoreCost`).
struct DNSPerCore {
    /// The report's lines, and serve-dns's per-core ratios to rbldnsd at the fixed rate.
    struct Comparison {
        var text: String
        var sockets: Double
        /// nil when `--xdp lo` was not measured (the text says why).
        var xdp: Double?
    }

    var cost: DNSCoreCost
    var rbldnsd: [String]
    /// serve-dns on a port, with `--threads` and `--xdp` when given.
    var ours: (_ port: Int, _ threads: Int?, _ xdp: String?) -> [String]

    /// Why `serve-dns --xdp lo` cannot run here (not root, or lo not accepting the answers
    /// that AF_XDP puts back on it), or nil.
    static func xdpMissing() -> String? {
        guard geteuid() == 0 else { return "not root (AF_XDP needs CAP_NET_ADMIN and CAP_BPF)" }
        for setting in ["route_localnet", "accept_local"] {
            let value = (try? String(contentsOfFile: "/proc/sys/net/ipv4/conf/lo/\(setting)", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            if value != "1" { return "net.ipv4.conf.lo.\(setting) is not 1 (sysctl -w net.ipv4.conf.lo.\(setting)=1; scripts/test sets it)" }
        }
        return nil
    }

    func compare() throws -> Comparison {
        let missing = Self.xdpMissing()
        let server = ["taskset", "-c", "1"]
        let client = ["taskset", "-c", "0"]
        func pinned(_ command: [String], _ port: Int) throws -> AbuseBench.RegistryBench.Load {
            try AbuseBench.RegistryBench.dnsperf(server: server + command, port: port, queries: cost.queries, seconds: cost.seconds, dir: cost.dir, client: client)
        }
        var loads = [
            ("rbldnsd", try pinned(rbldnsd, 53531)), ("serve-dns (default threads)", try pinned(ours(53534, nil, nil), 53534)),
            ("--threads 1", try pinned(ours(53535, 1, nil), 53535)),
        ]
        var servers: [DNSCoreCost.Server] = [
            .init(name: "rbldnsd", command: rbldnsd, port: 53531), .init(name: "serve-dns (default threads)", command: ours(53536, nil, nil), port: 53536),
            .init(name: "--threads 1", command: ours(53537, 1, nil), port: 53537),
        ]
        if missing == nil {
            loads.append(("--xdp lo", try pinned(ours(53538, nil, "lo"), 53538)))
            servers.append(.init(name: "--xdp lo", command: ours(53539, nil, "lo"), port: 53539))
        }
        let costs = try cost.measure(servers)
        let base = loads[0].1
        let qps = loads.enumerated().map { k, entry in
            k == 0
                ? String(format: "%@ %.0f q/s using %.0f %% of its core", entry.0, entry.1.qps, entry.1.cpu * 100)
                : String(format: "%@ %.0f q/s (%.2fx) using %.0f %%", entry.0, entry.1.qps, entry.1.qps / base.qps, entry.1.cpu * 100)
        }
        let cpu = loads.enumerated().map { k, entry in
            k == 0 ? String(format: "%@ %.0f", entry.0, entry.1.perCore) : String(format: "%@ %.0f (%.2fx)", entry.0, entry.1.perCore, entry.1.perCore / base.perCore)
        }
        let ratios = costs.map { DNSCoreCost.ratio($0, to: costs[0]) }
        let fixed = costs.enumerated().map { k, result in
            k == 0
                ? String(format: "%@ %.0f (%@)", result.name, result.median, AbuseBench.RegistryBench.figures(result.perCoreSecond))
                : String(format: "%@ %.0f (%@), %.2fx", result.name, result.median, AbuseBench.RegistryBench.figures(result.perCoreSecond), ratios[k])
        }
        let text = """
            dns pinned (dnsperf on core 0, the server alone on core 1): \(qps.joined(separator: "; "))
            dns per second of the server process's CPU time (pinned; softirq work on its core is charged to no process): \(cpu.joined(separator: "; "))
            dns per core at a fixed rate (dnsperf -Q \(cost.rate) on core 0, each server alone on core 1, \(cost.rounds) rounds taking turns; answers per second of \
            core 1's busy time, softirq included; median, then each round; ratios are medians of the rounds' ratios): \(fixed.joined(separator: "; ")); \
            least share of the queries answered: \(costs.map { String(format: "%@ %.1f %%", $0.name, $0.answeredShare * 100) }.joined(separator: ", "))\
            \(missing.map { "\n--xdp lo not measured: \($0)" } ?? "")
            """
        return Comparison(text: text, sockets: ratios[1], xdp: missing == nil ? ratios[3] : nil)
    }
}
