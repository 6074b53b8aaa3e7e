import Foundation

/// Runs the built `abuse-ingest` executable as users and scripts do.
public enum CommandRunner {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The executable beside the test bundle (SwiftPM builds it for test targets that
    /// depend on it).
    public static var binary: URL? {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("abuse-ingest"),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(".build/debug/abuse-ingest"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Whether the executable exists; prints a skip message when not.
    public static func available(_ suite: String) -> Bool {
        if binary == nil { print("SKIPPED \(suite): the abuse-ingest executable is not built (swift build)") }
        return binary != nil
    }

    public static func run(_ arguments: [String], stdin: Data? = nil) throws -> Result {
        let process = try start(arguments)
        let input = process.standardInput as! Pipe
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let out = (process.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
        let err = (process.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    /// Starts the executable without waiting (for tests that kill it).
    public static func start(_ arguments: [String]) throws -> Process {
        guard let binary else { throw CocoaError(.fileNoSuchFile) }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        process.standardInput = Pipe()
        try process.run()
        return process
    }
}
