import EnforcementEngine
import Foundation
import Logging
import Primitives
import ServiceLifecycle
import Synchronization

/// The service's ingest and evaluation loop. Each pass takes the queued uploads at once and
/// the spool's other files once settled (rsync keeps working), through the same ingest as
/// `ingest --spool`: one transaction per file, duplicates recognised, bad files quarantined
/// with their reason. A pass that committed a file is followed by an evaluation, and one
/// runs at least every `evaluate_every`. Once a day, within the hour after `compact_at` and
/// when a pass found nothing to do, the segments of past weeks are compacted. On a graceful
/// shutdown the loop stops after the file in progress.
public final class IngestWorker: Service, Sendable {
    let enforcement: Enforcement
    let store: ServiceStore
    let intake: LogIntake
    let rules: RuleBook
    let settings: LiveSettings
    let metrics: ServerMetrics
    let spool: URL
    let logger: Logger
    let nudge: Nudge
    /// Crash tests stop ingest inside a file (`ABUSE_INGEST_TEST_PAUSE`).
    let pause: Ingestor.Options.PausePoint?
    private let evaluationRequested = Atomic(false)
    /// Called after an evaluation changed cases (the DNS server refreshes on its own).
    let onEvaluation: @Sendable (Evaluation) -> Void

    init(
        enforcement: Enforcement, store: ServiceStore, intake: LogIntake, rules: RuleBook, settings: LiveSettings, metrics: ServerMetrics, spool: URL, logger: Logger,
        nudge: Nudge = Nudge(), pause: Ingestor.Options.PausePoint? = nil, onEvaluation: @escaping @Sendable (Evaluation) -> Void = { _ in }
    ) {
        self.enforcement = enforcement
        self.store = store
        self.intake = intake
        self.rules = rules
        self.settings = settings
        self.metrics = metrics
        self.spool = spool
        self.logger = logger
        self.onEvaluation = onEvaluation
        self.nudge = nudge
        self.pause = pause
    }

    /// Wakes the loop now (an upload was queued, the rules changed).
    public func wake() { nudge.signal() }

    /// Evaluates at the next turn of the loop (new rules are in force).
    public func requestEvaluation() {
        evaluationRequested.store(true, ordering: .relaxed)
        nudge.signal()
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
        logger.info("ingest worker stopped")
    }

    private func loop() async {
        var lastEvaluation = ContinuousClock.now
        var evaluateNow = true
        var lastCompactionDay: Int64?
        while !Task.isCancelled {
            let config = settings.current
            var processed = 0
            do {
                let result = try await pass(config: config)
                processed = result.processed
                if result.committed > 0 { evaluateNow = true }
            } catch {
                logger.error("ingest pass failed; the files not committed stay in the spool", metadata: ["error": "\(error)"])
            }
            if Task.isCancelled { break }
            if evaluationRequested.exchange(false, ordering: .relaxed) { evaluateNow = true }
            let due = ContinuousClock.now - lastEvaluation >= config.evaluateEvery
            // Uploads that arrived during the pass are ingested first: the batch is what
            // came in together, and an evaluation in between would only delay them.
            if !due, processed > 0, (try? store.hasQueuedUploads()) == true { continue }
            if evaluateNow || due {
                evaluateNow = false
                lastEvaluation = ContinuousClock.now
                do {
                    try await evaluate()
                } catch {
                    logger.error("evaluation failed", metadata: ["error": "\(error)"])
                }
            }
            intake.removeStalePartials(olderThan: config.partialRetention, now: Date())
            if processed == 0, let at = config.compactAt {
                // The hour from `at`, which may run past midnight: once for each day it starts.
                let sinceStart = enforcement.clock.nowMillis() - Int64(at) * 60_000
                let day = sinceStart / 86_400_000
                if lastCompactionDay != day, sinceStart % 86_400_000 < 3_600_000 {
                    lastCompactionDay = day
                    do {
                        try await compact()
                    } catch {
                        logger.error("compaction failed; the weeks not compacted stay as they were", metadata: ["error": "\(error)"])
                    }
                }
            }
            let untilEvaluation = config.evaluateEvery - (ContinuousClock.now - lastEvaluation)
            await nudge.wait(timeout: Swift.max(.milliseconds(10), Swift.min(config.spoolPoll, untilEvaluation)))
        }
    }

    /// One pass; returns the files it took and those it committed. Files are claimed from
    /// the spool queue shared with the other `serve` instances on this database; an upload
    /// is marked ingesting when claimed and settled as soon as its file leaves the spool.
    func pass(config: ServeConfiguration) async throws -> (processed: Int, committed: Int) {
        var uploads: [String: UploadRecord] = [:]
        for upload in try store.queuedUploads() {
            if let file = upload.spoolFile, FileManager.default.fileExists(atPath: file) {
                uploads[file] = upload
            } else {
                try store.settleMissing(upload)
            }
        }
        let spool = Spool(folder: self.spool, settle: TimeInterval(config.spoolSettle.components.seconds))
        var options = Ingestor.Options(dataFolder: enforcement.dataFolder)
        options.maxExpansionRatio = config.maxExpansionRatio
        options.pause = pause
        let started = ContinuousClock.now
        let enforcement = self.enforcement
        let store = self.store
        let metrics = self.metrics
        let logger = self.logger
        let queue = SpoolQueue(store: enforcement.store, lease: config.spoolLease, clock: enforcement.clock, logger: logger)
        let immediate = Set(uploads.keys)
        let ingestOptions = options
        let observer = Spool.Observer(
            claimed: { files in
                do {
                    try store.markIngesting(files: files)
                } catch {
                    logger.warning("cannot mark uploads ingesting", metadata: ["error": "\(error)"])
                }
            },
            settled: { outcome in
                metrics.ingested(outcome, receivedAt: enforcement.clock.nowMillis())
                do {
                    try store.settle(file: outcome.file, outcome: outcome)
                } catch {
                    logger.error("cannot record an upload's outcome", metadata: ["file": "\(outcome.file)", "error": "\(error)"])
                }
            })
        let stop = StopFlag()
        let result: Result<Spool.Pass, Ingestor.StoreFailure>
        do {
            result = .success(
                try await withTaskCancellationHandler {
                    try await BlockingWork.run("ingest") {
                        try enforcement.processSpool(
                            spool, queue: queue, immediately: immediate, options: ingestOptions, observer: observer,
                            shouldStop: { stop.raised.load(ordering: .relaxed) })
                    }
                } onCancel: {
                    stop.raised.store(true, ordering: .relaxed)
                })
        } catch let failure as Ingestor.StoreFailure {
            result = .failure(failure)
        }
        let outcomes: [FileOutcome]
        switch result {
        case .success(let pass):
            outcomes = pass.outcomes
            for problem in pass.problems { logger.warning("spool: \(problem.message)", metadata: ["path": "\(problem.path)"]) }
        case .failure(let failure):
            outcomes = failure.outcomes
        }
        if !outcomes.isEmpty { metrics.ingestSeconds(ContinuousClock.now - started) }
        if case .failure(let failure) = result { throw failure }
        return (outcomes.count, outcomes.filter { $0.status == .ingested }.count)
    }

    /// Merges the past weeks' segments (`store compact`); a shutdown stops it after the week
    /// in progress.
    func compact() async throws {
        let enforcement = self.enforcement
        let started = ContinuousClock.now
        let stop = StopFlag()
        let result = try await withTaskCancellationHandler {
            try await BlockingWork.run("compact") { try enforcement.compact(shouldStop: { stop.raised.load(ordering: .relaxed) }) }
        } onCancel: {
            stop.raised.store(true, ordering: .relaxed)
        }
        metrics.compacted(result, duration: ContinuousClock.now - started)
        logger.info(
            "compaction done",
            metadata: ["weeks": "\(result.compacted)", "segments": "\(result.segmentsBefore) -> \(result.segmentsAfter)", "seconds": "\(ContinuousClock.now - started)"])
    }

    /// Runs the rules in force over the stored windows as of now.
    func evaluate() async throws {
        let rules = self.rules.rules
        let enforcement = self.enforcement
        let started = ContinuousClock.now
        let evaluation = try await BlockingWork.run("evaluate") { try enforcement.evaluate(rules: rules) }
        metrics.evaluated(evaluation, duration: ContinuousClock.now - started)
        if evaluation.opened + evaluation.updated > 0 { onEvaluation(evaluation) }
    }
}

/// Set from a task's cancellation, read by blocking work on its thread.
final class StopFlag: Sendable {
    let raised = Atomic(false)
}
