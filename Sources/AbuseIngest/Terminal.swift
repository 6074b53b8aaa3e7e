import Foundation

/// Writing to standard error, and whether it is a terminal (progress only then).
enum Terminal {
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// `abuse-ingest: error: <what>` as FORMATS.md §1 prescribes.
    static func reportError(_ what: String) {
        error("abuse-ingest: error: \(what)")
    }

    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// Overwrites the current terminal line on stderr.
    static func progress(_ text: String) {
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    static func clearProgress() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
