import Foundation
import Logging
import Primitives
import RegistryClient

/// The engine's operations, one entry point each, shared by the command line and the
/// service: ingest a batch, process a spool, evaluate, decide. Reading goes through the
/// store; evidence export is the Evidence module's.
public struct Enforcement: Sendable {
    public let store: EngineStore
    /// The folder that holds the database, the archive and the keys.
    public let dataFolder: URL
    public let clock: WallClock
    public let logger: Logger

    public init(store: EngineStore, dataFolder: URL, clock: WallClock = .system, logger: Logger = Logger(label: "abuse-ingest.engine")) {
        self.store = store
        self.dataFolder = dataFolder
        self.clock = clock
        self.logger = logger
    }

    /// An ingestor whose registry loads on a thread of its own while the first files are
    /// read.
    public func ingestor(options: Ingestor.Options? = nil) -> Ingestor {
        let registry = store.registry
        let cache = IndexCache(dataFolder: dataFolder, logger: logger)
        return Ingestor(store: store, loading: LoadingIndex { try cache.index(of: registry) }, options: options ?? Ingestor.Options(dataFolder: dataFolder), logger: logger)
    }

    /// Ingests `files` shipped by reporter `reporterID`, received now.
    /// - Throws: `EngineError.unknownReporter`, or `Ingestor.StoreFailure` when the store
    ///   cannot be written (what was committed before stays).
    public func ingest(
        files: [String], reporter reporterID: String, options: Ingestor.Options? = nil, progress: (@Sendable (IngestProgressReport) -> Void)? = nil
    ) throws -> [FileOutcome] {
        guard let reporter = try store.reporter(id: reporterID) else { throw EngineError.unknownReporter(reporterID) }
        return try ingestor(options: options).ingest(files: files, reporter: reporter, now: clock.nowMillis(), progress: progress)
    }

    /// One pass over a spool folder: settled files (and those in `immediately` at once)
    /// queued, then claimed, ingested and moved, in turn with the other workers on the same
    /// spool (`queue`; a new one with the default lease when nil).
    public func processSpool(
        _ spool: Spool, queue: SpoolQueue? = nil, immediately: Set<String> = [], options: Ingestor.Options? = nil, observer: Spool.Observer = Spool.Observer(),
        shouldStop: () -> Bool = { false }, progress: (@Sendable (IngestProgressReport) -> Void)? = nil
    ) throws -> Spool.Pass {
        let now = clock.nowMillis()
        return try spool.process(
            with: ingestor(options: options), queue: queue ?? SpoolQueue(store: store, clock: clock, logger: logger),
            now: Date(timeIntervalSince1970: Double(now) / 1000), immediately: immediately, observer: observer, shouldStop: shouldStop,
            progress: progress)
    }

    /// Days a week waits after its Sunday before compaction merges it, for late shipments.
    public static let compactionGraceDays: Int64 = 2

    /// Merges each reporter's segments week by week (`EngineStore.compact`): the weeks that
    /// ended before `beforeDay` (days since 1970-01-01; default: `compactionGraceDays` ago).
    /// Each merged week is logged as it is done; `shouldStop` ends the run between weeks.
    public func compact(
        beforeDay: Int64? = nil, reporter: String? = nil, dryRun: Bool = false, shouldStop: (() -> Bool)? = nil,
        progress: ((_ done: Int, _ planned: Int) -> Void)? = nil
    ) throws -> Compaction {
        if let reporter, try store.reporter(id: reporter) == nil { throw EngineError.unknownReporter(reporter) }
        let day = beforeDay ?? (clock.nowMillis() / 86_400_000 - Self.compactionGraceDays)
        let logger = self.logger
        return try store.compact(beforeDay: day, reporter: reporter, dryRun: dryRun, shouldStop: shouldStop) { week, done, planned in
            if !dryRun {
                if let reason = week.skipped {
                    logger.warning("compaction left a week as it was", metadata: ["reporter": "\(week.reporter)", "week": "\(week.week)", "reason": "\(reason)"])
                } else {
                    logger.info(
                        "compacted a week",
                        metadata: ["reporter": "\(week.reporter)", "week": "\(week.week)", "segments": "\(week.segments)", "bytes": "\(week.bytesBefore) -> \(week.bytesAfter)"])
                }
            }
            progress?(done, planned)
        }
    }

    /// Runs `rules` over the stored aggregates of their windows as of `asOf` (default now),
    /// streaming the clients one at a time, and applies the matches (`dryRun`: computes them
    /// and writes nothing).
    public func evaluate(rules: RuleSet, asOf: Int64? = nil, dryRun: Bool = false) throws -> Evaluation {
        let time = asOf ?? clock.nowMillis()
        let longest = rules.rules.map(\.window).max() ?? 0
        let evaluator = RuleEvaluator(rules: rules, organisations: try store.organisations(), registry: try IndexCache(dataFolder: dataFolder, logger: logger).index(of: store.registry))
        var session = RuleEvaluator.Session(evaluator: evaluator, asOf: time)
        var clients = 0
        try store.forEachClient(from: time - longest, to: time) { client in
            clients += 1
            session.add(client)
        }
        let (matches, contradictions) = session.finish()
        let changes = try store.apply(matches, contradictions: contradictions, asOf: time, dryRun: dryRun)
        let evaluation = Evaluation(
            changes: changes, contradictions: contradictions, clients: clients, rules: rules.rules.count, rulesFolder: rules.folder, asOf: time, dryRun: dryRun)
        logger.info(
            "evaluated",
            metadata: [
                "rules": "\(evaluation.rules)", "clients": "\(clients)", "opened": "\(evaluation.opened)", "updated": "\(evaluation.updated)",
                "as_of": "\(ISOTime.format(millis: time, fraction: false))", "dry_run": "\(dryRun)",
            ])
        return evaluation
    }

    /// A staff decision, recorded under `actor` with its reason at the clock's time.
    @discardableResult
    public func decide(_ decision: CaseDecision, caseID: String, by actor: String, reason: String, expecting: EnforcementCase.Status? = nil) throws -> EnforcementCase {
        let item = try store.decide(decision, caseID: caseID, by: actor, reason: reason, at: clock.nowMillis(), expecting: expecting)
        logger.notice("case decided", metadata: ["case": "\(caseID)", "decision": "\(decision.rawValue)", "by": "\(actor)", "status": "\(item.status.rawValue)"])
        return item
    }
}
