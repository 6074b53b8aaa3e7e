import Demo
import EnforcementEngine
import Foundation
import TestSupport
import Testing

/// The demo's data folder, written by `abuse-ingest demo` (run from a folder of its own),
/// and stores built from its files with the commands an operator types.
struct DemoData {
    let folder: URL
    var db: String { folder.appendingPathComponent("abuse-ingest.db").path }

    init() throws {
        folder = try CLITests.temporaryFolder()
        let elsewhere = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let result = try CommandRunner.run(["demo", "--dir", folder.path], in: elsewhere)
        guard result.status == 0 else { throw DemoFailed(output: result.stderr) }
    }

    struct DemoFailed: Error { var output: String }

    /// The demo's shipped files: (reporter, path), reporter by reporter, night by night.
    var shipments: [(reporter: String, path: String)] {
        DemoScenario.reporters.flatMap { reporter in
            DemoScenario.nights.map { (reporter.id, folder.appendingPathComponent("logs/\(reporter.id)/\($0).log.gz").path) }
        }
    }

    /// Runs a command on this data folder's database.
    func run(_ arguments: [String]) throws -> CommandRunner.Result {
        try CommandRunner.run(arguments + ["--db", db])
    }

    /// A new data folder with the demo's registry and reporters, and its shipments ingested
    /// one `ingest` run per file in `order` (default: as `shipments` lists them); nothing evaluated.
    /// The database is the folder's SQLite file, or `database` (a PostgreSQL URL) with the
    /// folder as `--data-dir`.
    static func store(from demo: DemoData, order: [Int]? = nil, database: String? = nil) throws -> URL {
        let folder = try CLITests.temporaryFolder()
        let target = database.map { ["--db", $0, "--data-dir", folder.path] } ?? ["--db", folder.appendingPathComponent("abuse-ingest.db").path]
        let imported = try CommandRunner.run(["registry", "import", demo.folder.appendingPathComponent("registry.csv").path] + target)
        #expect(imported.status == 0, "\(imported.stderr)")
        for reporter in DemoScenario.reporters {
            let added = try CommandRunner.run(["reporters", "add", reporter.id, "--name", reporter.name, "--organisation", reporter.organisation] + target)
            #expect(added.status == 0, "\(added.stderr)")
        }
        let shipments = demo.shipments
        for index in order ?? Array(shipments.indices) {
            let ingested = try CommandRunner.run(["ingest", "--reporter", shipments[index].reporter, shipments[index].path] + target)
            #expect(ingested.status == 0, "\(ingested.stderr)")
        }
        return folder
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}
