import ArgumentParser
import Glibc
import Logging

@main
struct AbuseIngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abuse-ingest",
        abstract: "Find rogue mail servers in ISPs' MTA logs for a registry of registered e-mail servers.",
        discussion: """
            Exit codes: 0 success, 2 usage or configuration error, 3 done but some input was \
            rejected (incomplete or quarantined files), 1 anything else.
            """,
        subcommands: [Demo.self, Parse.self, Registry.self, Reporters.self, Ingest.self, IP.self, Rules.self, Evaluate.self, Cases.self, Evidence.self, Keys.self]
    )

    /// Runs the command, mapping ArgumentParser's usage errors (exit 64) to exit code 2 as
    /// FORMATS.md §1 prescribes.
    static func main() {
        // A parent may start us with signals blocked (threads of test runners and some
        // supervisors do): stopping and reloading must reach us.
        var stopping = sigset_t()
        sigemptyset(&stopping)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT] { sigaddset(&stopping, signal) }
        pthread_sigmask(SIG_UNBLOCK, &stopping, nil)
        // Components that run unattended (the DNS server, ingest, evaluation) log through
        // swift-log: to standard error.
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code.rawValue == 64 {
                Terminal.error(fullMessage(for: error))
                Self.exit(withError: ExitStatus.usage)
            }
            Self.exit(withError: error)
        }
    }
}
