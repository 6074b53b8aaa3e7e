import Foundation
import Glibc

/// What a DNS server's answers cost its core at one fixed query rate: dnsperf alone on
/// core 0 sends `rate` queries a second (`-Q`), the server runs alone on core 1, and core 1's
/// busy time over the run (user, system, interrupts and softirq, from /proc/stat) is the
/// cost. At a fixed rate both servers see the same load, so their batching and wake-ups are
/// alike, and the figure does not move with dnsperf's own speed, which limits the pinned
/// throughput runs. Softirq time counts: on loopback a server's core also carries each
/// answer into the client's socket, and the kernel does not charge that to the server's
/// process. The servers take turns within each round, so a slow minute of the machine
/// touches all of them.
struct DNSCoreCost {
    struct Server {
        var name: String
        var command: [String]
        var port: Int
    }

    /// One server's runs: answers per second of core-1 busy time, per round.
    struct Result {
        var name: String
        var perCoreSecond: [Double]
        /// The smallest share of the queries sent that were answered, over the rounds.
        var answeredShare: Double
        var median: Double { perCoreSecond.sorted()[perCoreSecond.count / 2] }
    }

    var rate: Int
    var rounds: Int
    var seconds: Int
    var queries: String
    var dir: String

    /// Runs every server once per round, in turn, and returns their results in order.
    func measure(_ servers: [Server]) throws -> [Result] {
        var results = servers.map { Result(name: $0.name, perCoreSecond: [], answeredShare: 1) }
        for _ in 0..<rounds {
            for (k, server) in servers.enumerated() {
                let (answered, busy) = try run(server)
                results[k].perCoreSecond.append(busy > 0 ? Double(answered) / busy : 0)
                results[k].answeredShare = min(results[k].answeredShare, Double(answered) / Double(rate * seconds))
            }
        }
        return results
    }

    /// The median over rounds of `result`'s figure over `base`'s in the same round.
    static func ratio(_ result: Result, to base: Result) -> Double {
        let ratios = zip(result.perCoreSecond, base.perCoreSecond).map { $1 > 0 ? $0 / $1 : 0 }.sorted()
        return ratios.isEmpty ? 0 : ratios[ratios.count / 2]
    }

    private func run(_ server: Server) throws -> (answered: Int, busySeconds: Double) {
        let process = try AbuseBench.RegistryBench.serving(["taskset", "-c", "1"] + server.command, port: server.port)
        defer { AbuseBench.RegistryBench.stop(process) }
        let out = "\(dir)/dnsperf-rate-\(server.port).txt"
        let before = try Self.busySeconds(core: 1)
        let command = ["taskset", "-c", "0"] + Self.dnsperf(port: server.port, queries: queries, seconds: seconds) + ["-Q", String(rate)]
        let status = try Measurement.run(command, stdout: out).status
        let busy = try Self.busySeconds(core: 1) - before
        guard status == 0, let answered = Self.completed(try String(contentsOfFile: out, encoding: .utf8)) else {
            throw BenchError("dnsperf against \(server.name) gave no count of queries completed (\(out))")
        }
        return (answered, busy)
    }

    /// The dnsperf command both DNS measurements run: 4 clients, 200 queries outstanding.
    static func dnsperf(port: Int, queries: String, seconds: Int) -> [String] {
        ["dnsperf", "-s", "127.0.0.1", "-p", String(port), "-d", queries, "-l", String(seconds), "-c", "4", "-q", "200"]
    }

    /// The queries answered, from dnsperf's report ("Queries completed: N (…)").
    static func completed(_ report: String) -> Int? {
        report.split(separator: "\n").first { $0.contains("Queries completed:") }.flatMap { $0.split(separator: " ").dropFirst(2).first }.flatMap { Int($0) }
    }

    /// The time core `core` has spent busy so far (user, nice, system, irq, softirq; not
    /// idle, iowait or steal), in seconds.
    static func busySeconds(core: Int) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/stat", encoding: .utf8)
        guard let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu\(core) ") }) else {
            throw BenchError("/proc/stat has no line for core \(core)")
        }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 7 else { throw BenchError("/proc/stat's line for core \(core) is short: \(line)") }
        return (ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
