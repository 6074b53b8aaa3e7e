import Foundation
import Synchronization

/// The progress of the files being read, as one line for a terminal: each file's share
/// read, megabytes parsed, lines per second and the time left at that pace. Fed from the
/// ingest workers' threads; the caller shows each line it returns.
public final class IngestProgressBoard: Sendable {
    private struct File {
        var started: Date
        var report: IngestProgressReport
    }

    private struct State {
        var files: [String: File] = [:]
        var order: [String] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Takes a report and returns the line to show now ("" when no file is being read).
    public func update(_ report: IngestProgressReport, now: Date = Date()) -> String {
        state.withLock { s in
            if report.finished {
                s.files[report.file] = nil
                s.order.removeAll { $0 == report.file }
            } else if s.files[report.file] == nil {
                s.files[report.file] = File(started: now, report: report)
                s.order.append(report.file)
            } else {
                s.files[report.file]!.report = report
            }
            return s.order.compactMap { name in s.files[name].map { Self.describe($0.report, seconds: now.timeIntervalSince($0.started)) } }.joined(separator: "  |  ")
        }
    }

    /// `mx1.log.gz 45% 55 MB 1.8 M lines/s, 3 s left`.
    public static func describe(_ report: IngestProgressReport, seconds: Double) -> String {
        var text = "\(URL(fileURLWithPath: report.file).lastPathComponent) \(Int(report.fraction * 100))% \(report.bytes / 1_000_000) MB"
        guard seconds >= 0.25, report.lines > 0 else { return text }
        text += String(format: " %.1f M lines/s", Double(report.lines) / seconds / 1e6)
        if report.fraction > 0.02 {
            let left = seconds * (1 - report.fraction) / report.fraction
            text += left < 10 ? String(format: ", %.1f s left", left) : left < 90 ? String(format: ", %.0f s left", left) : String(format: ", %.0f min left", left / 60)
        }
        return text
    }
}
