import ArgumentParser

@main
struct AbuseIngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abuse-ingest",
        abstract: "Find rogue mail servers in ISPs' MTA logs for a registry of registered e-mail servers.",
        discussion: """
            Exit codes: 0 success, 2 usage or configuration error, 3 done but some input was \
            rejected (incomplete or quarantined files), 1 anything else.
            """,
        subcommands: [Parse.self]
    )
}
