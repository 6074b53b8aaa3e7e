import ArgumentParser

/// Options every command takes (FORMATS.md §1).
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The SQLite database (its folder is the data folder), or a PostgreSQL database as postgres://USER@HOST[:PORT]/NAME.",
            discussion: "Every command works on either."))
    var db: String = "./abuse-ingest.db"

    @Option(name: .customLong("data-dir"), help: "The data folder (archive/, keys/); default: the SQLite database's folder, or . with PostgreSQL.")
    var dataDir: String?
}
