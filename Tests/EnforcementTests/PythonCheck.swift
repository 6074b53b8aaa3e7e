import Foundation

/// Runs an independent checker in Python 3 (the standard library, or `../shared/xarf`).
enum PythonCheck {
    /// `python3` as the PATH finds it (CI installs `jsonschema` for that one).
    static var python: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var available: Bool { python != nil }

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
        process.executableURL = URL(fileURLWithPath: python ?? "/usr/bin/python3")
        process.arguments = [scriptPath!] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// `../shared/xarf/validate.py` beside the repository (or under `$ABUSE_INGEST_SHARED`).
    static var xarfValidator: String? {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let shared = ProcessInfo.processInfo.environment["ABUSE_INGEST_SHARED"].map { URL(fileURLWithPath: $0) }
            ?? repository.deletingLastPathComponent().appendingPathComponent("shared")
        let validator = shared.appendingPathComponent("xarf/validate.py")
        return FileManager.default.fileExists(atPath: validator.path) ? validator.path : nil
    }
}
