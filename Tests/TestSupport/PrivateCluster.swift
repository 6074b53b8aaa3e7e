import Foundation
import Glibc
import RegistryClient

/// A PostgreSQL cluster of one test's own, for what the shared throwaway cluster must not
/// suffer (stopping and restarting the server under a running store): `initdb` in a
/// temporary folder, `pg_ctl` on a free port of 127.0.0.1, as the `postgres` user when run
/// as root. Needs Debian's postgresql-15.
public final class PrivateCluster: Sendable {
    public let location: PostgresLocation
    private let folder: URL
    private let bin: String
    private let port: Int

    public init() throws {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root))?.sorted { $0.compare($1, options: .numeric) == .orderedAscending } ?? []
        guard let version = versions.last, FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") else {
            throw MissingRequirement("PostgreSQL's server is not installed: apt-get install postgresql-15 (scripts/test installs every test requirement)")
        }
        bin = "\(root)/\(version)/bin"
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        port = freePort()
        location = PostgresLocation(user: "postgres", host: "127.0.0.1", port: port, database: "postgres")
        if getuid() == 0 { try Self.run(["chown", "postgres:", folder.path]) }
        try run(["\(bin)/initdb", "-D", "\(folder.path)/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
        try start()
    }

    public func start() throws {
        try run([
            "\(bin)/pg_ctl", "-D", "\(folder.path)/data", "-l", "\(folder.path)/server.log", "-w", "-t", "30", "-o",
            "-p \(port) -k \(folder.path) -c listen_addresses=127.0.0.1 -c fsync=off", "start",
        ])
    }

    /// Stops the server at once (`-m fast`: sessions are ended, transactions rolled back).
    public func stop() throws {
        try run(["\(bin)/pg_ctl", "-D", "\(folder.path)/data", "-m", "fast", "-w", "stop"])
    }

    public func remove() {
        try? stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs `arguments` as the cluster's owner (postgres under root).
    private func run(_ arguments: [String]) throws {
        try Self.run(getuid() == 0 ? ["runuser", "-u", "postgres", "--"] + arguments : arguments)
    }

    /// Runs a program and waits for it with waitpid (not Foundation's Process, which waits
    /// for its own descriptors to close: the server pg_ctl starts keeps them open).
    private static func run(_ arguments: [String]) throws {
        let messages = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-pgctl-\(UUID().uuidString)").path
        defer { unlink(messages) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, messages, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else { throw MissingRequirement("cannot run \(arguments[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        guard status == 0 else {
            let message = (try? String(contentsOfFile: messages, encoding: .utf8)) ?? ""
            throw MissingRequirement("\(arguments.joined(separator: " ")) failed (status \(status)): \(message)")
        }
    }
}
