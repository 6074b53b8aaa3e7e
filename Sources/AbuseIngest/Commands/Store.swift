import ArgumentParser
import EnforcementEngine
import Foundation
import Primitives

extension AbuseIngestCommand {
    struct Store: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "store", abstract: "Maintenance of the store's aggregates.", subcommands: [Compact.self])

        struct Compact: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "compact", 
                abstract: "Merge each reporter's segments week by week, so a lookup reads one segment per reporter and week.",
                discussion: """
                    A week (Monday to Sunday, UTC, by a segment's first day) with more than one segment of a \
                    reporter becomes one segment, in one transaction per week: readers see the old segments or \
                    the new one, never both; a compaction stopped at any point leaves a correct store, and the \
                    next run goes on. Counts, samples and their shipments are kept as they were: `ip show`, \
                    evaluation and evidence give the same results before and after. A shipment that comes late \
                    for a compacted week is merged into it by the next run. `serve` runs this every night at \
                    its `compact_at` hour.
                    """)
            @OptionGroup var global: GlobalOptions
            @Option(help: "Compact the weeks that ended before this day (YYYY-MM-DD; default: two days ago).") var before: String?
            @Option(help: "Only this reporter's segments.") var reporter: String?
            @Flag(name: .customLong("dry-run"), help: "Show the weeks that would be merged; change nothing.") var dryRun = false
            @Flag(help: "Print the result as JSON: {\"before\",\"dry_run\",\"segments_before\",\"segments_after\",\"weeks\":[{\"reporter\",\"week\",\"segments\",\"records\",\"bytes_before\",\"bytes_after\",\"skipped\"}]}.")
            var json = false

            func validate() throws {
                if let before, Self.day(before) == nil { throw ValidationError("--before '\(before)' is not a day (YYYY-MM-DD)") }
            }

            static func day(_ text: String) -> Int64? {
                guard text.utf8.count == 10, let millis = ISOTime.parse(text + "T00:00:00Z") else { return nil }
                return millis / 86_400_000
            }

            func run() throws {
                let showProgress = Terminal.stderrIsTerminal && !json
                let result = try global.enforcement().compact(beforeDay: before.flatMap(Self.day), reporter: reporter, dryRun: dryRun, progress: { done, total in
                    if showProgress { Terminal.progress("abuse-ingest: \(done) of \(total) weeks compacted") }
                })
                if showProgress { Terminal.clearProgress() }
                if json {
                    print(try JSONText.encode(result))
                } else {
                    for week in result.weeks {
                        let what = week.skipped.map { "left as it was: \($0)" } ?? (dryRun ? "would be merged" : "merged, \(week.bytesBefore) -> \(week.bytesAfter) bytes")
                        print("\(week.reporter) week of \(week.week): \(week.segments) segments, \(week.records) records, \(what)")
                    }
                    print(
                        "\(dryRun ? "would compact" : "compacted") \(result.compacted) week(s) ended before \(result.before): segments \(result.segmentsBefore) -> \(result.segmentsAfter)"
                    )
                }
                if result.leftAsTheyWere > 0 {
                    Terminal.reportError("\(result.leftAsTheyWere) week(s) left as they were: their segments cannot be merged (see above)")
                    throw ExitStatus.rejectedInput
                }
            }
        }
    }
}
