import Foundation
import TestSupport

/// Runs an independent checker in Python 3 (the standard library, or `../shared/xarf`).
enum PythonCheck {
    /// Runs `script` (text, written to a temporary file) or `path` with `arguments`: exit
    /// status and output (stdout and stderr together).
    static func run(script: String? = nil, path: String? = nil, arguments: [String]) throws -> (status: Int32, output: String) {
        var scriptPath = path
        var temporary: URL?
        if let script {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-check-\(UUID().uuidString).py")
            try script.write(to: url, atomically: true, encoding: .utf8)
            scriptPath = url.path
            temporary = url
        }
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Requirement.python())
        process.arguments = [scriptPath!] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
