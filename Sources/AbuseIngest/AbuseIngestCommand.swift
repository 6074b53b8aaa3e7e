import ArgumentParser
import Glibc
import Logging

@main
struct AbuseIngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abuse-ingest",
        abstract: "Find rogue mail servers in ISPs' MTA logs for a registry of registered e-mail servers.",
        discussion: """
            Exit codes: 0 success, 2 usage or configuration error, 3 done but some input was \
            rejected (incomplete or quarantined files), 1 anything else.
            """,
        subcommands: [Demo.self, Parse.self, Registry.self, Reporters.self, Ingest.self, IP.self, Rules.self, Evaluate.self, Cases.self, Evidence.self, Keys.self, Serve.self, Ship.self, Staff.self, Store.self]
    )

    /// Runs the command, mapping ArgumentParser's usage errors (exit 64) to exit code 2 as
    /// FORMATS.md §1 prescribes, and any other error a command lets through to
    /// `abuse-ingest: error: <what>` and exit 1.
    static func main() async {
        // A parent may start us with signals blocked (threads of test runners and some
        // supervisors do): stopping and reloading must reach us.
        var stopping = sigset_t()
        sigemptyset(&stopping)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT] { sigaddset(&stopping, signal) }
        pthread_sigmask(SIG_UNBLOCK, &stopping, nil)
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
            exitAfterArgumentError(error)
        }
        // Components that run unattended (the service, the DNS server, ingest, evaluation)
        // log through swift-log: to standard error, as text or (serve) JSON lines.
        if let serve = command as? Serve {
            LoggingSystem.bootstrap(serve.logHandlerFactory())
        } else {
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
        }
        do {
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Self.exit(withError: code)
        } catch where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            // Help, usage and validation errors of ArgumentParser itself.
            exitAfterArgumentError(error)
        } catch {
            Failure.report(error)
            Self.exit(withError: Failure.exitCode(for: error))
        }
    }

    /// Help and version exit 0; usage errors print ArgumentParser's message and exit 2.
    private static func exitAfterArgumentError(_ error: any Error) -> Never {
        if exitCode(for: error).rawValue == 64 {
            // FORMATS.md §1: every error reads `abuse-ingest: error: …`, usage errors too.
            var text = fullMessage(for: error)
            if text.hasPrefix("Error: ") { text = "abuse-ingest: error: " + text.dropFirst("Error: ".count) }
            Terminal.error(text)
            Self.exit(withError: ExitStatus.usage)
        }
        Self.exit(withError: error)
    }
}
