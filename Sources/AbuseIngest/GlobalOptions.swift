import ArgumentParser

/// Options every command takes (FORMATS.md §1).
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .customLong("db"),
        help: ArgumentHelp(
            "The SQLite database (its folder is the data folder), or a PostgreSQL database as postgres://USER@HOST[:PORT]/NAME (default: ./abuse-ingest.db).",
            discussion: "Every command works on either."))
    var database: String?

    /// The database named, or the default.
    var db: String { database ?? Self.defaultDatabase }

    static let defaultDatabase = "./abuse-ingest.db"

    @Option(name: .customLong("data-dir"), help: "The data folder (archive/, keys/); default: the SQLite database's folder, or . with PostgreSQL.")
    var dataDir: String?
}
