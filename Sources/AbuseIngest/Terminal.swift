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

    /// Text from a log (an attacker's) for a terminal: control characters shown escaped, so
    /// no byte of it can move the cursor or change the terminal.
    static func escaped(_ text: String) -> String {
        text.unicodeScalars.map { $0.value < 0x20 || ($0.value >= 0x7F && $0.value < 0xA0) ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
    }

    /// Overwrites the current terminal line on stderr.
    static func progress(_ text: String) {
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    static func clearProgress() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
