import Foundation

/// Real gzip files made by the system's `gzip` (Debian's gzip package).
enum Gzip {
    static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        let input = try TemporaryFile.write(bytes, suffix: "")
        defer {
            try? FileManager.default.removeItem(at: input)
            try? FileManager.default.removeItem(atPath: input.path + ".gz")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-n", "-f", input.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        return Array(try Data(contentsOf: URL(fileURLWithPath: input.path + ".gz")))
    }

    /// `count` Postfix connect lines, numbered.
    static func connectLines(_ count: Int) -> [UInt8] {
        var text = ""
        for i in 0..<count {
            text += "Nov 28 01:00:00 mx postfix/smtpd[\(i)]: connect from host\(i).example[192.0.2.\(i % 250 + 1)]\n"
        }
        return Array(text.utf8)
    }
}
