import Dispatch
import Foundation
import LogParsers
import Logging
import Primitives
import RegistryClient
import Synchronization

/// Nightly shipments into the store: for each file, parse → registration status of every
/// event's client at the event's time → aggregates, written in one transaction. Files are
/// identified by the SHA-256 of their bytes (a file ingested before is a duplicate and
/// changes nothing), parse in parallel, and are committed by one writer at a time.
public final class Ingestor: Sendable {
    public struct Options: Sendable {
        public var dataFolder: URL
        public var samplesPerKey = 10
        /// Parallel parsers (default: the cores).
        public var workers = ProcessInfo.processInfo.activeProcessorCount
        /// Bounds on one file's aggregate; a file beyond them is quarantined.
        public var limits = FileAggregate.Limits()
        /// For crash tests only: stop reading the named file at a line, announce it by
        /// writing `marker`, and wait there to be killed.
        public var pause: PausePoint?
        /// A gzip file that inflates beyond this ratio is quarantined, found while reading
        /// (a bomb is never inflated to its end); nil: unbounded.
        public var maxExpansionRatio: Int?

        public struct PausePoint: Sendable {
            public var fileName: String
            public var line: Int
            public var marker: URL

            public init(fileName: String, line: Int, marker: URL) {
                self.fileName = fileName
                self.line = line
                self.marker = marker
            }
        }

        public init(dataFolder: URL) {
            self.dataFolder = dataFolder
        }
    }

    /// A fatal error that stops the batch: the database or the archive could not be written
    /// (read-only, full disk), or the registry could not be loaded. What was committed
    /// before stays; the file in progress was rolled back.
    public struct StoreFailure: Error, CustomStringConvertible {
        public enum Place: Sendable, Equatable {
            case database, archive, registry
        }

        public var place: Place
        public var file: String
        public var cause: String
        /// The files done before the failure.
        public var outcomes: [FileOutcome]

        public var description: String {
            switch place {
            case .database: "cannot write the database while ingesting \(file): \(cause)"
            case .archive: "cannot write the archive copy of \(file): \(cause)"
            case .registry: "cannot load the registry to judge \(file): \(cause)"
            }
        }

        /// What failed, from the error a file's ingest threw.
        static func classify(_ error: any Error, file: String) -> StoreFailure {
            switch error {
            case let failure as StoreFailure: failure
            case let archive as LogArchive.ArchiveError: StoreFailure(place: .archive, file: file, cause: archive.description, outcomes: [])
            default: StoreFailure(place: .database, file: file, cause: "\(error)", outcomes: [])
            }
        }
    }

    public let store: EngineStore
    public let index: LoadingIndex
    public let options: Options
    public let archive: LogArchive
    public let logger: Logger
    private let writer = Mutex(())

    public convenience init(store: EngineStore, index: RegistrationIndex, options: Options, logger: Logger = Logger(label: "abuse-ingest.ingest")) {
        self.init(store: store, loading: LoadingIndex(ready: index), options: options, logger: logger)
    }

    /// With the registry still loading (`LoadingIndex`): files are identified and read
    /// meanwhile.
    public init(store: EngineStore, loading index: LoadingIndex, options: Options, logger: Logger = Logger(label: "abuse-ingest.ingest")) {
        self.store = store
        self.index = index
        self.options = options
        self.logger = logger
        archive = LogArchive(dataFolder: options.dataFolder)
    }

    /// Ingests `files` for `reporter`, received at `now` (UTC ms).
    /// - Parameters:
    ///   - progress: called from worker threads as each file is read.
    ///   - finished: called from worker threads with each file's outcome as soon as it has one.
    public func ingest(
        files: [String], reporter: Reporter, now: Int64, progress: (@Sendable (IngestProgressReport) -> Void)? = nil,
        finished: (@Sendable (FileOutcome) -> Void)? = nil
    ) throws(StoreFailure) -> [FileOutcome] {
        // Copies a killed ingest left behind go first.
        let swept = archive.sweep()
        if swept > 0 { logger.notice("removed archive copies a killed ingest left", metadata: ["copies": "\(swept)"]) }
        let results = Mutex<[FileOutcome?]>(Array(repeating: nil, count: files.count))
        let failure = Mutex<StoreFailure?>(nil)
        let next = Atomic(0)
        let workers = max(1, min(options.workers, files.count))
        // With a file per core, no core is left for an inflating thread per file.
        let decompressAhead = workers < ProcessInfo.processInfo.activeProcessorCount
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while failure.withLock({ $0 == nil }) {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < files.count else { return }
                do {
                    let outcome = try ingestOne(files[i], reporter: reporter, now: now, decompressAhead: decompressAhead, progress: progress)
                    results.withLock { $0[i] = outcome }
                    log(outcome)
                    finished?(outcome)
                } catch {
                    let classified = StoreFailure.classify(error, file: files[i])
                    logger.error("ingest stopped", metadata: ["file": "\(files[i])", "error": "\(classified)"])
                    failure.withLock { if $0 == nil { $0 = classified } }
                }
            }
        }
        let outcomes = results.withLock { $0.compactMap { $0 } }
        if var fatal = failure.withLock({ $0 }) {
            fatal.outcomes = outcomes
            throw fatal
        }
        return outcomes
    }

    /// One file. Throws only for store failures; bad input gives a quarantined outcome.
    func ingestOne(
        _ path: String, reporter: Reporter, now: Int64, decompressAhead: Bool, progress: (@Sendable (IngestProgressReport) -> Void)?
    ) throws -> FileOutcome {
        var outcome = FileOutcome(file: path, sha256: nil, status: .quarantined, lines: 0, events: 0, unparsed: 0, reporter: reporter.id)
        guard let digest = identify(path, &outcome, reason: nil) else { return outcome }
        if try store.isIngested(sha256: digest.hex) {
            outcome.status = .duplicate
            return outcome
        }
        var aggregate = FileAggregate(fileSHA256: digest.hex, receivedAt: now, index: index, samplesPerKey: options.samplesPerKey, limits: options.limits)
        var parserOptions = ParseOptions(timeZone: TimeZone(identifier: reporter.timezone), decompressAhead: decompressAhead)
        parserOptions.maxExpansionRatio = options.maxExpansionRatio
        let parser = LogFileParser(options: parserOptions)
        // The archive copy is written and checked in the same read of the file as the parse.
        let copy = try archive.copy(sha256: digest.hex)
        defer { copy.discard() }
        func report(lines: Int, bytes: UInt64, finished: Bool) {
            progress?(IngestProgressReport(file: path, lines: lines, bytes: bytes, shippedRead: copy.bytesSeen, shippedSize: digest.bytes, finished: finished))
        }
        report(lines: 0, bytes: 0, finished: false)
        let pause = options.pause.flatMap { $0.fileName == URL(fileURLWithPath: path).lastPathComponent ? $0 : nil }
        let summary: FileSummary
        do {
            summary = try parser.parse(
                path: path, progress: progress.map { _ in { lines, bytes in report(lines: lines, bytes: bytes, finished: false) } }, rawBytes: { copy.write($0) }
            ) { event in
                aggregate.add(event)
                if let pause, event.line >= pause.line { Self.wait(at: pause) }
            }
            aggregate.flush()
        } catch {
            outcome.error = error.description
            try store.recordQuarantine(shipment(path, digest, reporter, now, FileSummary(file: path), aggregate, error: outcome.error))
            return outcome
        }
        report(lines: summary.lines, bytes: summary.bytes, finished: true)
        if let failure = aggregate.indexFailure { throw StoreFailure(place: .registry, file: path, cause: "\(failure)", outcomes: []) }
        outcome.lines = summary.lines
        outcome.events = summary.events
        outcome.unparsed = summary.unparsed
        outcome.firstEvent = summary.firstEvent
        outcome.lastEvent = summary.lastEvent
        if !summary.complete {
            outcome.error = "corrupt or truncated: \(summary.error ?? "the stream ended early")"
        } else if let overflow = aggregate.overflow {
            outcome.error = "cannot be aggregated: \(overflow) (split the file, or raise the bound)"
        } else if summary.unparsedShare > reporter.unparsedThreshold {
            outcome.error = String(
                format: "format drift: %d of %d lines (%.1f %%) unparsed, above the %.1f %% threshold (first unparsed lines: %@)",
                summary.unparsed + summary.oversized, summary.lines, summary.unparsedShare * 100, reporter.unparsedThreshold * 100,
                summary.unparsedLines.map(String.init).joined(separator: ", "))
        }
        let record = shipment(path, digest, reporter, now, summary, aggregate, error: outcome.error)
        if outcome.error != nil {
            try store.recordQuarantine(record)
            return outcome
        }
        let segment: EncodedSegment
        do {
            segment = try EncodedSegment(aggregate: aggregate)
        } catch let tooLarge as SegmentCodec.BlockTooLarge {
            outcome.error = "cannot be stored: \(tooLarge)"
            try store.recordQuarantine(shipment(path, digest, reporter, now, summary, aggregate, error: outcome.error))
            return outcome
        }
        do {
            try copy.commit(path: path, compressed: summary.compressed, compression: summary.compression)
        } catch LogArchive.ArchiveError.changedWhileReading {
            // Not a store failure: this file was still being written. The others go on.
            outcome.error = "changed while it was read (its SHA-256 is no longer the one it was identified by): ship it again once complete"
            try store.recordQuarantine(record)
            return outcome
        }
        let committed = try writer.withLock { _ in try store.commit(record, segment: segment) }
        outcome.status = committed ? .ingested : .duplicate
        return outcome
    }

    /// Sets a file aside unread, quarantined for `reason` (its shipment row says so too).
    public func quarantine(_ path: String, reporter: Reporter, now: Int64, reason: String) throws -> FileOutcome {
        var outcome = FileOutcome(file: path, sha256: nil, status: .quarantined, lines: 0, events: 0, unparsed: 0, error: reason, reporter: reporter.id)
        guard let digest = identify(path, &outcome, reason: reason) else { return outcome }
        try store.recordQuarantine(
            Shipment(
                id: nil, reporterID: reporter.id, sha256: digest.hex, fileName: URL(fileURLWithPath: path).lastPathComponent, status: .quarantined,
                receivedAt: now, bytes: digest.bytes, lines: 0, events: 0, skipped: 0, unparsed: 0, firstEvent: nil, lastEvent: nil, futureEvents: 0,
                distantEvents: 0, gapHours: 0, error: reason))
        log(outcome)
        return outcome
    }

    /// The file's SHA-256 and size, also set on `outcome`; nil when the file cannot be read,
    /// with `outcome.error` saying so (after `reason`, when the file was being set aside).
    private func identify(_ path: String, _ outcome: inout FileOutcome, reason: String?) -> (hex: String, bytes: Int64)? {
        do {
            let digest = try Digest.sha256(file: path)
            outcome.sha256 = digest.hex
            return digest
        } catch {
            outcome.error = (reason.map { "\($0); " } ?? "") + "cannot read \(path): \(error.localizedDescription)"
            return nil
        }
    }

    /// One line per file: what became of it.
    private func log(_ outcome: FileOutcome) {
        var metadata: Logger.Metadata = ["file": "\(outcome.file)", "status": "\(outcome.status.rawValue)", "reporter": "\(outcome.reporter)"]
        if let sha = outcome.sha256 { metadata["sha256"] = "\(sha)" }
        switch outcome.status {
        case .quarantined:
            metadata["error"] = "\(outcome.error ?? "")"
            logger.warning("file quarantined", metadata: metadata)
        case .ingested, .duplicate:
            metadata["lines"] = "\(outcome.lines)"
            metadata["events"] = "\(outcome.events)"
            logger.info("file \(outcome.status.rawValue)", metadata: metadata)
        }
    }

    /// Announces the pause and waits to be killed (crash tests).
    private static func wait(at pause: Options.PausePoint) -> Never {
        try? Data("\(pause.fileName):\(pause.line)\n".utf8).write(to: pause.marker)
        while true { Thread.sleep(forTimeInterval: 1) }
    }

    private func shipment(
        _ path: String, _ digest: (hex: String, bytes: Int64), _ reporter: Reporter, _ now: Int64, _ summary: FileSummary,
        _ aggregate: FileAggregate, error: String?
    ) -> Shipment {
        Shipment(
            id: nil, reporterID: reporter.id, sha256: digest.hex, fileName: URL(fileURLWithPath: path).lastPathComponent, status: .ingested,
            receivedAt: now, bytes: digest.bytes, lines: summary.lines, events: summary.events, skipped: summary.skipped,
            unparsed: summary.unparsed, firstEvent: summary.firstEvent.flatMap(ISOTime.parse), lastEvent: summary.lastEvent.flatMap(ISOTime.parse),
            futureEvents: aggregate.futureEvents, distantEvents: aggregate.distantEvents, gapHours: aggregate.gapHours, error: error)
    }
}
