import LogParsers

/// The one-line human summary of a parsed file.
enum SummaryText {
    static func line(_ s: FileSummary) -> String {
        var parts: [String] = []
        let megabytes = Double(s.bytes) / 1_000_000
        parts.append("\(s.lines) lines (\(s.compressed ? "\(s.compression ?? "compressed"), " : "")\(String(format: "%.1f", megabytes)) MB)")
        let kinds = s.eventsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        parts.append("\(s.events) events" + (kinds.isEmpty ? "" : " (\(kinds))"))
        parts.append("\(s.skipped) skipped")
        var unparsed = "\(s.unparsed) unparsed"
        if !s.unparsedLines.isEmpty {
            unparsed += " (lines \(s.unparsedLines.map(String.init).joined(separator: ", "))\(s.unparsed > s.unparsedLines.count ? ", …" : ""))"
        }
        parts.append(unparsed)
        if s.oversized > 0 {
            parts.append("\(s.oversized) oversized (lines \(s.oversizedLines.map(String.init).joined(separator: ", ")))")
        }
        if s.unresolved > 0 { parts.append("\(s.unresolved) refusals without a client") }
        if let first = s.firstEvent, let last = s.lastEvent { parts.append("\(first) to \(last)") }
        parts.append(s.complete ? "complete" : "INCOMPLETE")
        return "\(s.file): " + parts.joined(separator: ", ")
    }
}
