import ArgumentParser
import EnforcementEngine
import Foundation
import LogParsers
import RegistryClient

extension AbuseIngestCommand {
    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse, cross-check and aggregate shipped logs into the store, all-or-nothing per file.",
            discussion: """
                Files are identified by the SHA-256 of their bytes: a file ingested before is reported \
                'duplicate' and changes nothing. Each file is one transaction; a corrupt or truncated file, \
                or one whose unparsed share is above the reporter's threshold (format drift), is \
                quarantined and the rest goes on. Exit 3 when any file was quarantined.
                Spool mode processes DIR/<reporter-id>/* and moves each file to DIR/done/<reporter-id>/ \
                or DIR/quarantine/<reporter-id>/ (with <file>.reason); *.part files, hidden files and files \
                modified in the last --settle seconds are left alone.
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
            let store = try global.engineStore()
            // The registry loads while the first files are identified and read.
            let registry = store.registry
            var options = Ingestor.Options(dataFolder: global.dataFolder)
            options.pause = Self.testPause()
            let ingestor = Ingestor(store: store, loading: LoadingIndex { try registry.loadIndex() }, options: options)
            var outcomes: [FileOutcome] = []
            if let id = reporter {
                guard let known = try store.reporter(id: id) else {
                    Terminal.reportError(EngineError.unknownReporter(id).description)
                    throw ExitStatus.usage
                }
                outcomes = try run(ingestor, files: files, reporter: known)
            } else if let spool {
                outcomes = try runSpool(ingestor, store: store, folder: URL(fileURLWithPath: spool))
            }
            if !json {
                let counts = Dictionary(grouping: outcomes, by: \.status).mapValues(\.count)
                Terminal.error(
                    "abuse-ingest: \(outcomes.count) file(s): \(counts[.ingested] ?? 0) ingested, \(counts[.duplicate] ?? 0) duplicate, \(counts[.quarantined] ?? 0) quarantined")
            }
            if outcomes.contains(where: { $0.status == .quarantined }) { throw ExitStatus.rejectedInput }
        }

        /// `ABUSE_INGEST_TEST_PAUSE=FILE:LINE:MARKER`: crash tests stop ingest inside a file.
        static func testPause() -> Ingestor.Options.PausePoint? {
            guard let value = ProcessInfo.processInfo.environment["ABUSE_INGEST_TEST_PAUSE"] else { return nil }
            let parts = value.split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3, let line = Int(parts[1]) else { return nil }
            return .init(fileName: parts[0], line: line, marker: URL(fileURLWithPath: parts[2]))
        }

        private func run(_ ingestor: Ingestor, files: [String], reporter: Reporter) throws -> [FileOutcome] {
            let progress: IngestProgress? = Terminal.stderrIsTerminal ? IngestProgress() : nil
            var callback: (@Sendable (IngestProgressReport) -> Void)?
            if let progress { callback = { report in progress.update(report) } }
            let outcomes: [FileOutcome]
            do {
                outcomes = try ingestor.ingest(files: files, reporter: reporter, now: Clock.nowMillis(), progress: callback)
            } catch {
                progress?.clear()
                for outcome in error.outcomes { report(outcome) }
                Terminal.reportError(error.description)
                throw ExitStatus.failure
            }
            progress?.clear()
            for outcome in outcomes { report(outcome) }
            return outcomes
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

        /// Spool mode: every known reporter's folder, settled files only.
        private func runSpool(_ ingestor: Ingestor, store: EngineStore, folder: URL) throws -> [FileOutcome] {
            let fm = FileManager.default
            guard let entries = try? fm.contentsOfDirectory(atPath: folder.path) else {
                Terminal.reportError("cannot read the spool folder \(folder.path)")
                throw ExitStatus.usage
            }
            var all: [FileOutcome] = []
            let now = Date()
            for name in entries.sorted() where name != "done" && name != "quarantine" && !name.hasPrefix(".") {
                let reporterFolder = folder.appendingPathComponent(name)
                var isDirectory: ObjCBool = false
                guard fm.fileExists(atPath: reporterFolder.path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
                guard let reporter = try store.reporter(id: name) else {
                    Terminal.error("abuse-ingest: warning: spool folder \(reporterFolder.path) belongs to no known reporter; left alone")
                    continue
                }
                let candidates = (try? fm.contentsOfDirectory(atPath: reporterFolder.path)) ?? []
                var ready: [String] = []
                for file in candidates.sorted() where !file.hasPrefix(".") && !file.hasSuffix(".part") {
                    let path = reporterFolder.appendingPathComponent(file).path
                    guard let attributes = try? fm.attributesOfItem(atPath: path), attributes[.type] as? FileAttributeType == .typeRegular,
                        let modified = attributes[.modificationDate] as? Date
                    else { continue }
                    if now.timeIntervalSince(modified) < Double(settle) { continue }  // still being written
                    ready.append(path)
                }
                guard !ready.isEmpty else { continue }
                let outcomes = try run(ingestor, files: ready, reporter: reporter)
                for outcome in outcomes {
                    let destination = folder.appendingPathComponent(outcome.status == .quarantined ? "quarantine" : "done").appendingPathComponent(name)
                    try fm.createDirectory(at: destination, withIntermediateDirectories: true)
                    var target = destination.appendingPathComponent(URL(fileURLWithPath: outcome.file).lastPathComponent)
                    if fm.fileExists(atPath: target.path) {
                        target = destination.appendingPathComponent("\(String(outcome.sha256?.prefix(12) ?? "x"))-\(target.lastPathComponent)")
                    }
                    try fm.moveItem(atPath: outcome.file, toPath: target.path)
                    if outcome.status == .quarantined {
                        try ((outcome.error ?? "quarantined") + "\n").write(to: URL(fileURLWithPath: target.path + ".reason"), atomically: true, encoding: .utf8)
                    }
                }
                all += outcomes
            }
            return all
        }
    }
}

/// Progress on a terminal, one line for the files being read: each file's share read,
/// megabytes parsed, lines per second and the time left at that pace.
final class IngestProgress: @unchecked Sendable {
    private struct File {
        var started: Date
        var report: IngestProgressReport
    }

    private let lock = NSLock()
    private var files: [String: File] = [:]
    private var order: [String] = []

    func update(_ report: IngestProgressReport) {
        lock.lock()
        defer { lock.unlock() }
        if report.finished {
            files[report.file] = nil
            order.removeAll { $0 == report.file }
        } else if files[report.file] == nil {
            files[report.file] = File(started: Date(), report: report)
            order.append(report.file)
        } else {
            files[report.file]!.report = report
        }
        let now = Date()
        let parts = order.compactMap { name -> String? in
            guard let file = files[name] else { return nil }
            return Self.describe(file.report, seconds: now.timeIntervalSince(file.started))
        }
        if parts.isEmpty { Terminal.clearProgress() } else { Terminal.progress(parts.joined(separator: "  |  ")) }
    }

    /// `mx1.log.gz 45% 55 MB 1.8 M lines/s, 3 s left`.
    static func describe(_ report: IngestProgressReport, seconds: Double) -> String {
        var text = "\(URL(fileURLWithPath: report.file).lastPathComponent) \(Int(report.fraction * 100))% \(report.bytes / 1_000_000) MB"
        guard seconds >= 0.25, report.lines > 0 else { return text }
        text += String(format: " %.1f M lines/s", Double(report.lines) / seconds / 1e6)
        if report.fraction > 0.02 {
            let left = seconds * (1 - report.fraction) / report.fraction
            text += left < 10 ? String(format: ", %.1f s left", left) : left < 90 ? String(format: ", %.0f s left", left) : String(format: ", %.0f min left", left / 60)
        }
        return text
    }

    func clear() { Terminal.clearProgress() }
}
