import ArgumentParser
import EnforcementEngine
import Foundation
import LogParsers

extension AbuseIngestCommand {
    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ingest", 
            abstract: "Parse, cross-check and aggregate shipped logs into the store, all-or-nothing per file.",
            discussion: """
                Files are identified by the SHA-256 of their bytes: a file ingested before is reported \
                'duplicate' and changes nothing. Each file is one transaction; a corrupt or truncated file, \
                or one whose unparsed share is above the reporter's threshold (format drift), is \
                quarantined and the rest goes on. Exit 3 when any file was quarantined.
                Spool mode processes DIR/<reporter-id>/* and moves each file to DIR/done/<reporter-id>/ \
                or DIR/quarantine/<reporter-id>/ (with <file>.reason); *.part files, hidden files and files \
                modified in the last --settle seconds are left alone. Exit 1 when a reporter's folder \
                cannot be read (the others are processed).
                """
        )

        @OptionGroup var global: GlobalOptions
        @Option(help: "The reporter that shipped FILE... .") var reporter: String?
        @Option(help: "A spool folder of DIR/<reporter-id>/ subfolders.") var spool: String?
        @Option(help: "Spool: leave files modified in the last SECONDS alone (still being written).") var settle: Int = 60
        @Flag(help: "Print one JSON object per file.") var json = false
        @Argument(help: "Log files (plain or gzip).") var files: [String] = []

        func validate() throws {
            switch (reporter, spool) {
            case (nil, nil): throw ValidationError("name --reporter ID with files, or --spool DIR")
            case (_?, _?): throw ValidationError("--reporter and --spool exclude each other")
            case (_?, nil): if files.isEmpty { throw ValidationError("name at least one file to ingest") }
            case (nil, _?): if !files.isEmpty { throw ValidationError("--spool takes no file arguments") }
            }
            guard settle >= 0 else { throw ValidationError("--settle must be 0 or more") }
        }

        func run() throws {
            let enforcement = try global.enforcement()
            var options = Ingestor.Options(dataFolder: global.dataFolder)
            options.pause = Self.testPause()
            let progress = Self.progressOnTerminal()
            var outcomes: [FileOutcome]
            var problems: [Spool.Problem] = []
            do {
                if let spool {
                    let pass = try enforcement.processSpool(Spool(folder: URL(fileURLWithPath: spool), settle: Double(settle)), options: options, progress: progress)
                    (outcomes, problems) = (pass.outcomes, pass.problems)
                } else {
                    outcomes = try enforcement.ingest(files: files, reporter: reporter ?? "", options: options, progress: progress)
                }
            } catch let failure as Ingestor.StoreFailure {
                if progress != nil { Terminal.clearProgress() }
                for outcome in failure.outcomes { report(outcome) }
                throw failure
            }
            if progress != nil { Terminal.clearProgress() }
            for outcome in outcomes { report(outcome) }
            for problem in problems { Terminal.error("abuse-ingest: \(problem.severity == .error ? "error" : "warning"): \(problem)") }
            if !json {
                let counts = Dictionary(grouping: outcomes, by: \.status).mapValues(\.count)
                Terminal.error(
                    "abuse-ingest: \(outcomes.count) file(s): \(counts[.ingested] ?? 0) ingested, \(counts[.duplicate] ?? 0) duplicate, \(counts[.quarantined] ?? 0) quarantined")
            }
            if problems.contains(where: { $0.severity == .error }) { throw ExitStatus.failure }
            if outcomes.contains(where: { $0.status == .quarantined }) { throw ExitStatus.rejectedInput }
        }

        private func report(_ outcome: FileOutcome) {
            if json {
                print((try? JSONText.encode(outcome)) ?? "{}")
                return
            }
            var line = "\(outcome.file): \(outcome.status.rawValue)"
            if outcome.status != .duplicate { line += ", \(outcome.lines) lines, \(outcome.events) events, \(outcome.unparsed) unparsed" }
            if let first = outcome.firstEvent, let last = outcome.lastEvent { line += ", \(first) to \(last)" }
            print(line)
            if let error = outcome.error { Terminal.reportError("\(error) (\(outcome.file))") }
        }

        /// A progress line on standard error when it is a terminal; nil otherwise.
        static func progressOnTerminal() -> (@Sendable (IngestProgressReport) -> Void)? {
            guard Terminal.stderrIsTerminal else { return nil }
            let board = IngestProgressBoard()
            return { report in Terminal.progress(board.update(report)) }
        }

        /// `ABUSE_INGEST_TEST_PAUSE=FILE:LINE:MARKER`: crash tests stop ingest inside a file.
        static func testPause() -> Ingestor.Options.PausePoint? {
            guard let value = ProcessInfo.processInfo.environment["ABUSE_INGEST_TEST_PAUSE"] else { return nil }
            let parts = value.split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3, let line = Int(parts[1]) else { return nil }
            return .init(fileName: parts[0], line: line, marker: URL(fileURLWithPath: parts[2]))
        }
    }
}
