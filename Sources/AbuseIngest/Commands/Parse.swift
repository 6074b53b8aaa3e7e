import ArgumentParser
import Foundation
import LogParsers
import Primitives

extension AbuseIngestCommand {
    struct Parse: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "parse", 
            abstract: "Parse MTA logs (plain, gzip, zstd, xz or bzip2) into connection events as JSON Lines.",
            discussion: """
                Each line's program tag picks its parser (postfix/*, exim, sendmail/sm-mta, smtpd of \
                OpenSMTPD, courieresmtpd, qmail/tcpserver/rblsmtpd), so mixed syslog files work; raw \
                Exim main logs are recognised by their timestamps, journald's JSON export \
                (journalctl -o json) by its objects, Microsoft Exchange's SMTP receive protocol and \
                message tracking logs by their #Fields header and stamps. A per-file summary goes to stderr \
                (with --summary-json, as JSON: on stdout with --output none, else on stderr).
                Exit 3 when a file ended early (truncated or corrupt compressed data), 1 when one could not be read.
                """
        )

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case auto, postfix, exim, sendmail, opensmtpd, courier, qmail, exchange
        }

        enum Output: String, ExpressibleByArgument, CaseIterable {
            case jsonl, none
        }

        @OptionGroup var global: GlobalOptions

        @Option(help: "Read every line as this MTA's (\(Format.allCases.map(\.rawValue).joined(separator: "|"))).")
        var format: Format = .auto

        @Option(
            name: .customLong("reference-time"),
            help: "Year-less timestamps get the year that puts them at or before this time (ISO 8601). Default: each file's modification time, now for stdin."
        )
        var referenceTime: String?

        @Option(help: "IANA zone of timestamps without an offset.")
        var timezone: String = "UTC"

        @Option(help: "jsonl: print events; none: only the summary.")
        var output: Output = .jsonl

        @Flag(name: .customLong("summary-json"), help: "Print the per-file summary as JSON.")
        var summaryJSON = false

        @Argument(help: "Log files, plain or gzip; - for standard input.")
        var files: [String]

        func validate() throws {
            if let referenceTime, ISOTime.parse(referenceTime) == nil {
                throw ValidationError("--reference-time '\(referenceTime)' is not an ISO 8601 time such as 2026-11-28T03:00:00Z")
            }
            if TimeZone(identifier: timezone) == nil {
                throw ValidationError("--timezone '\(timezone)' is not an IANA time zone name such as Europe/Zurich")
            }
            if files.isEmpty { throw ValidationError("name at least one log file (or - for standard input)") }
        }

        func run() throws {
            let options = ParseOptions(
                format: format == .auto ? nil : MTA(rawValue: format.rawValue),
                referenceMillis: referenceTime.flatMap(ISOTime.parse),
                timeZone: TimeZone(identifier: timezone)
            )
            let out = BufferedOutput()
            let showProgress = Terminal.stderrIsTerminal
            let started = Date()
            var summaries: [FileSummary] = []
            var unreadable = false
            EventPrinter(options: options, printsEvents: output == .jsonl).run(
                files: files, to: out,
                progress: showProgress
                    ? { path, lines, bytes in
                        let seconds = max(Date().timeIntervalSince(started), 0.001)
                        Terminal.progress("\(path): \(lines) lines, \(bytes / 1_000_000) MB, \(Int(Double(lines) / seconds)) lines/s")
                    } : nil
            ) { _, outcome in
                if showProgress { Terminal.clearProgress() }
                switch outcome {
                case .parsed(let summary):
                    summaries.append(summary)
                    if !summaryJSON { Terminal.error(SummaryText.line(summary)) }
                    if let error = summary.error { Terminal.reportError(error) }
                case .unreadable(let error):
                    Terminal.reportError(error.description)
                    unreadable = true
                }
            }
            if summaryJSON {
                for summary in summaries {
                    let text = try JSONText.encode(summary)
                    if output == .jsonl {
                        Terminal.error(text)
                    } else {
                        out.buffer.append(contentsOf: (text + "\n").utf8)
                    }
                }
                out.flush()
            }
            if out.failed {
                Terminal.reportError("could not write the output (standard output closed or full)")
                throw ExitStatus.failure
            }
            if unreadable { throw ExitStatus.failure }
            if summaries.contains(where: { !$0.complete }) { throw ExitStatus.rejectedInput }
        }
    }
}
