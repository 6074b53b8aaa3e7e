import Foundation
import Synchronization

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

    /// The file a queued spool path names, or nil for a path that is not `<reporter>/<file>`.
    public func file(at path: String) -> URL? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") }) else { return nil }
        return folder.appendingPathComponent(String(parts[0])).appendingPathComponent(String(parts[1]))
    }

    /// What the worker is told as a pass goes: the files it claimed (before their ingest),
    /// and each file's outcome once the file left the spool.
    public struct Observer: Sendable {
        public var claimed: @Sendable ([String]) -> Void
        public var settled: @Sendable (FileOutcome) -> Void

        public init(claimed: @escaping @Sendable ([String]) -> Void = { _ in }, settled: @escaping @Sendable (FileOutcome) -> Void = { _ in }) {
            self.claimed = claimed
            self.settled = settled
        }
    }

    /// One pass: the settled files of every known reporter queued, then claimed from the
    /// queue a few at a time (as many as the ingestor reads at once) and ingested and moved,
    /// until the queue has nothing this worker may take. Other workers on the same spool
    /// take other files meanwhile (`SpoolQueue`). `shouldStop` ends the pass between
    /// claims. A store failure stops the pass: the files not committed stay in the spool,
    /// and their claims are given back.
    public func process(
        with ingestor: Ingestor, queue: SpoolQueue, now: Date, immediately: Set<String> = [], observer: Observer = Observer(),
        shouldStop: () -> Bool = { false }, progress: (@Sendable (IngestProgressReport) -> Void)? = nil
    ) throws -> Pass {
        var pass = Pass()
        var reporters = Dictionary(uniqueKeysWithValues: try ingestor.store.reporters().map { ($0.id, $0) })
        let (ready, problems) = try settledFiles(reporters: Array(reporters.values), now: now, immediately: immediately)
        pass.problems = problems
        try queue.enqueue(
            ready.flatMap { reporter, files in files.map { (reporter.id, SpoolQueue.path(of: URL(fileURLWithPath: $0))) } }, now: queue.clock.nowMillis())
        while !shouldStop() {
            let claims = try queue.claim(limit: max(1, ingestor.options.workers))
            if claims.isEmpty { break }
            // Received when claimed: after its upload was, which settling an upload relies on.
            let receivedAt = queue.clock.nowMillis()
            observer.claimed(claims.compactMap { file(at: $0.path)?.path })
            if claims.contains(where: { reporters[$0.reporterID] == nil }) {
                reporters = Dictionary(uniqueKeysWithValues: try ingestor.store.reporters().map { ($0.id, $0) })
            }
            var groups: [(reporter: Reporter, claims: [SpoolQueue.Claim])] = []
            for claim in claims {
                guard let url = file(at: claim.path), let reporter = reporters[claim.reporterID] else {
                    pass.problems.append(Problem(severity: .error, path: claim.path, message: "a queued spool file of no known reporter is left alone"))
                    try queue.finish(claim.path)
                    continue
                }
                // Moved out by a worker that held it before.
                guard FileManager.default.fileExists(atPath: url.path) else {
                    try queue.finish(claim.path)
                    continue
                }
                if claim.claims > SpoolQueue.maxClaims {
                    let reason = "\(claim.claims - 1) workers stopped while ingesting this file (each claim ended without an outcome): it is set aside, not tried again"
                    let outcome = try ingestor.quarantine(url.path, reporter: reporter, now: receivedAt, reason: reason)
                    settle(outcome, claim: claim, queue: queue, observer: observer, pass: &pass)
                    continue
                }
                if let at = groups.firstIndex(where: { $0.reporter.id == reporter.id }) {
                    groups[at].claims.append(claim)
                } else {
                    groups.append((reporter, [claim]))
                }
            }
            // Each file leaves the spool as soon as its ingest ends, while the others of its
            // batch go on.
            let pending = Mutex(Set(groups.flatMap { $0.claims.map(\.path) }))
            let shared = Mutex(pass)
            defer { pass = shared.withLock { $0 } }
            do {
                try queue.keepingLeases {
                    for (reporter, claims) in groups {
                        let byFile = Dictionary(uniqueKeysWithValues: claims.compactMap { claim in file(at: claim.path).map { ($0.path, claim) } })
                        _ = try ingestor.ingest(files: Array(byFile.keys).sorted(), reporter: reporter, now: receivedAt, progress: progress) { outcome in
                            guard let claim = byFile[outcome.file] else { return }
                            shared.withLock { settle(outcome, claim: claim, queue: queue, observer: observer, pass: &$0) }
                            pending.withLock { _ = $0.remove(claim.path) }
                        }
                    }
                }
            } catch {
                try? queue.giveBack(pending.withLock { $0.sorted() })
                throw error
            }
        }
        // In the order of the spool's folders and names, whichever file finished first.
        pass.outcomes.sort { $0.file < $1.file }
        return pass
    }

    /// Moves a file whose ingest ended out of the spool and takes it off the queue.
    private func settle(_ outcome: FileOutcome, claim: SpoolQueue.Claim, queue: SpoolQueue, observer: Observer, pass: inout Pass) {
        do {
            pass.moved[outcome.file] = try settle(outcome).path
        } catch {
            // Another worker whose lease had run out moved it first: the file is done.
            if FileManager.default.fileExists(atPath: outcome.file) {
                pass.problems.append(Problem(severity: .error, path: outcome.file, message: "cannot move the file out of the spool: \(error.localizedDescription)"))
            }
        }
        // Told before the claim ends: while the claim stands, no one else settles the file.
        pass.outcomes.append(outcome)
        observer.settled(outcome)
        do {
            try queue.finish(claim.path)
        } catch {
            pass.problems.append(Problem(severity: .warning, path: outcome.file, message: "cannot take the file off the spool queue (it is done; a later pass drops it): \(error)"))
        }
    }
}
