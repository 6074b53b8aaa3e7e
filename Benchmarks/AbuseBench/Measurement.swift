import Foundation
import Glibc

/// Runs a command as a child process and measures wall time and peak RSS.
///
/// The peak comes from GNU time (`/usr/bin/time -f %M`), which forks the command from its
/// own small process: a child spawned straight from this one would report this process's
/// own peak when it is larger (Linux carries the parent's high-water mark over `vfork` and
/// `exec` into the child's `ru_maxrss`; seen here: `/bin/true` "used" 814 MB when spawned
/// from an 800 MB process), and the benchmarks hold generated data in memory.
struct Measurement {
    var seconds: Double
    /// Peak resident set size of the child, in bytes.
    var peakRSS: Int
    var status: Int32

    /// Runs `arguments` with standard output sent to `/dev/null` (or `stdout` path).
    static func run(_ arguments: [String], stdout: String = "/dev/null") throws -> Measurement {
        let timer = "/usr/bin/time"
        guard FileManager.default.isExecutableFile(atPath: timer) else { throw BenchError("\(timer) is missing: apt-get install time") }
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-bench-rss-\(getpid()).txt").path
        defer { unlink(report) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let command = [timer, "-f", "%M", "-o", report] + arguments
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let start = DispatchTime.now()
        let spawned = posix_spawnp(&pid, timer, &actions, nil, argv, environ)
        guard spawned == 0 else { throw BenchError("cannot start \(arguments[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw BenchError("waitpid failed") }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        // GNU time writes "Command exited with non-zero status N" before the figure when it fails.
        let text = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
        let kB = text.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        return Measurement(seconds: elapsed, peakRSS: kB * 1024, status: exitCode)
    }

    /// The best of `repeats` runs (least wall time), to damp noise from the machine.
    static func best(of repeats: Int, _ arguments: [String], stdout: String = "/dev/null") throws -> Measurement {
        var best: Measurement?
        for _ in 0..<max(1, repeats) {
            let m = try run(arguments, stdout: stdout)
            guard m.status == 0 else { throw BenchError("\(arguments.joined(separator: " ")) exited \(m.status)") }
            if best == nil || m.seconds < best!.seconds { best = m }
        }
        return best!
    }
}
