import ArgumentParser

/// Options every command takes (FORMATS.md §1).
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The SQLite database; its folder is the data folder.")
    var db: String = "./abuse-ingest.db"
}
