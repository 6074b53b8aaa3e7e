import Foundation

/// The folder ISPs ship into (rsync, scp, or `serve`'s uploads): `DIR/<reporter-id>/<file>`.
/// A file is taken once it has settled (not modified for `settle` seconds, not hidden, not
/// `*.part`), ingested for the reporter its folder names, then moved to
/// `DIR/done/<reporter-id>/` or `DIR/quarantine/<reporter-id>/` with `<file>.reason` beside
/// it. A name already taken there gets the file's digest in front, then a number.
public struct Spool: Sendable {
    public let folder: URL
    /// Seconds a file must be left unmodified before it is taken.
    public var settle: TimeInterval

    public init(folder: URL, settle: TimeInterval = 60) {
        self.folder = folder
        self.settle = settle
    }

    /// Something about the spool an operator must hear of; the rest of the spool goes on.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public enum Severity: Sendable, Equatable { case warning, error }
        public var severity: Severity
        public var path: String
        public var message: String
        public var description: String { "\(message) (\(path))" }
    }

    /// What one pass over the spool did.
    public struct Pass: Sendable {
        public var outcomes: [FileOutcome] = []
        public var problems: [Problem] = []
        /// Where each file went: its path in done/ or quarantine/.
        public var moved: [String: String] = [:]
    }

    /// The spool folder cannot be read at all.
    public struct Unreadable: Error, CustomStringConvertible {
        public var path: String
        public var cause: String
        public var description: String { "cannot read the spool folder \(path): \(cause)" }
    }

    /// The settled files of each known reporter's folder, in name order. Files in
    /// `immediately` (complete by other means: an upload renamed into place) are taken
    /// without waiting for them to settle.
    public func settledFiles(reporters: [Reporter], now: Date, immediately: Set<String> = []) throws(Unreadable) -> (ready: [(reporter: Reporter, files: [String])], problems: [Problem]) {
        let fm = FileManager.default
        let entries: [String]
        do {
            entries = try fm.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw Unreadable(path: folder.path, cause: error.localizedDescription)
        }
        let known = Dictionary(uniqueKeysWithValues: reporters.map { ($0.id, $0) })
        var ready: [(Reporter, [String])] = []
        var problems: [Problem] = []
        for name in entries.sorted() where name != "done" && name != "quarantine" && !name.hasPrefix(".") {
            let reporterFolder = folder.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: reporterFolder.path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            guard let reporter = known[name] else {
                problems.append(Problem(severity: .warning, path: reporterFolder.path, message: "a spool folder that belongs to no known reporter is left alone"))
                continue
            }
            let candidates: [String]
            do {
                candidates = try fm.contentsOfDirectory(atPath: reporterFolder.path)
            } catch {
                problems.append(Problem(severity: .error, path: reporterFolder.path, message: "cannot read the reporter's spool folder: \(error.localizedDescription)"))
                continue
            }
            var files: [String] = []
            for file in candidates.sorted() where !file.hasPrefix(".") && !file.hasSuffix(".part") {
                let path = reporterFolder.appendingPathComponent(file).path
                guard let attributes = try? fm.attributesOfItem(atPath: path), attributes[.type] as? FileAttributeType == .typeRegular,
                    let modified = attributes[.modificationDate] as? Date
                else { continue }
                if now.timeIntervalSince(modified) < settle, !immediately.contains(path) { continue }  // still being written
                files.append(path)
            }
            if !files.isEmpty { ready.append((reporter, files)) }
        }
        return (ready, problems)
    }

    /// Moves an ingested, duplicate or quarantined file out of the way, with the reason
    /// beside a quarantined one; returns where it went.
    public func settle(_ outcome: FileOutcome) throws -> URL {
        let fm = FileManager.default
        let destination = folder.appendingPathComponent(outcome.status == .quarantined ? "quarantine" : "done").appendingPathComponent(outcome.reporter)
        try fm.createDirectory(at: destination, withIntermediateDirectories: true)
        let name = URL(fileURLWithPath: outcome.file).lastPathComponent
        var target = destination.appendingPathComponent(name)
        var attempt = 0
        while fm.fileExists(atPath: target.path) || fm.fileExists(atPath: target.path + ".reason") {
            attempt += 1
            let prefix = String((outcome.sha256 ?? "x").prefix(12))
            target = destination.appendingPathComponent(attempt == 1 ? "\(prefix)-\(name)" : "\(prefix)-\(attempt)-\(name)")
        }
        try fm.moveItem(atPath: outcome.file, toPath: target.path)
        if outcome.status == .quarantined {
            try Data(((outcome.error ?? "quarantined") + "\n").utf8).write(to: URL(fileURLWithPath: target.path + ".reason"), options: .atomic)
        }
        return target
    }

    /// One pass: every settled file of every known reporter ingested and moved. A store
    /// failure stops the pass (the files not committed stay in the spool).
    public func process(
        with ingestor: Ingestor, now: Date, receivedAt: Int64, immediately: Set<String> = [], progress: (@Sendable (IngestProgressReport) -> Void)? = nil
    ) throws -> Pass {
        var pass = Pass()
        let (ready, problems) = try settledFiles(reporters: try ingestor.store.reporters(), now: now, immediately: immediately)
        pass.problems = problems
        for (reporter, files) in ready {
            let outcomes: [FileOutcome]
            do {
                outcomes = try ingestor.ingest(files: files, reporter: reporter, now: receivedAt, progress: progress)
            } catch {
                // What was committed before the failure is settled; the rest stays.
                for outcome in error.outcomes { pass.moved[outcome.file] = try settle(outcome).path }
                throw error
            }
            for outcome in outcomes {
                do {
                    pass.moved[outcome.file] = try settle(outcome).path
                } catch {
                    pass.problems.append(Problem(severity: .error, path: outcome.file, message: "cannot move the file out of the spool: \(error.localizedDescription)"))
                }
            }
            pass.outcomes += outcomes
        }
        return pass
    }
}
