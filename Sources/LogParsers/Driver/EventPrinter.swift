import Foundation

/// `parse`: files read one after the other, their events printed as JSON Lines (FORMATS.md
/// §2) to buffered output, each file's figures returned. Memory stays flat whatever the
/// sizes.
public struct EventPrinter {
    public let options: ParseOptions
    /// Print events (false: only count them, `--output none`).
    public let printsEvents: Bool

    public init(options: ParseOptions, printsEvents: Bool) {
        self.options = options
        self.printsEvents = printsEvents
    }

    /// What became of one file: its figures, or why it could not be opened at all.
    public enum Outcome {
        case parsed(FileSummary)
        case unreadable(InputError)
    }

    /// Parses `files` (`-` is standard input) in order, writing events to `output`.
    /// - Parameters:
    ///   - progress: every 65,536 lines of a file: its name, lines and uncompressed bytes.
    ///   - finished: called as each file is done, before the next begins.
    public func run(
        files: [String], to output: BufferedOutput, progress: ((String, Int, UInt64) -> Void)? = nil, finished: (String, Outcome) -> Void
    ) {
        let parser = LogFileParser(options: options)
        var writer = EventJSONWriter()
        for path in files {
            writer.setFile(path)
            let printsEvents = self.printsEvents
            do {
                let summary = try parser.parse(path: path, progress: progress.map { report in { lines, bytes in report(path, lines, bytes) } }) { event in
                    guard printsEvents else { return }
                    writer.append(event, to: &output.buffer)
                    output.flushIfFull()
                }
                finished(path, .parsed(summary))
            } catch {
                finished(path, .unreadable(error))
            }
        }
        output.flush()
    }
}
