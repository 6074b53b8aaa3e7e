import Foundation
import Glibc
import Synchronization

/// Runs the built `abuse-ingest` executable as users and scripts do.
public enum CommandRunner {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The repository this file belongs to.
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private static let located = Mutex<Swift.Result<URL, MissingRequirement>?>(nil)

    /// The executable: beside the running test binary (whatever the configuration and
    /// scratch path), else built with `swift build --product abuse-ingest`. Throws, never
    /// returns nil: a CLI test cannot pass without the program it tests.
    public static func binary() throws -> URL {
        try located.withLock { cached in
            if let cached { return try cached.get() }
            let result: Swift.Result<URL, MissingRequirement>
            do throws(MissingRequirement) { result = .success(try locateOrBuild()) } catch { result = .failure(error) }
            cached = result
            return try result.get()
        }
    }

    private static func locateOrBuild() throws(MissingRequirement) -> URL {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let beside = testBinary.deletingLastPathComponent().appendingPathComponent("abuse-ingest")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        // Not built with the tests (a filtered build): build it in the default scratch path.
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        build.arguments = ["swift", "build", "--product", "abuse-ingest", "--package-path", repository.path]
        build.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        build.standardError = errors
        do { try build.run() } catch { throw MissingRequirement("cannot run `swift build` to build abuse-ingest: \(error)") }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        build.waitUntilExit()
        let built = repository.appendingPathComponent(".build/debug/abuse-ingest")
        guard build.terminationStatus == 0, FileManager.default.isExecutableFile(atPath: built.path) else {
            throw MissingRequirement("abuse-ingest is not built beside \(testBinary.path) and `swift build --product abuse-ingest` failed: \(message)")
        }
        return built
    }

    public static func run(
        _ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:], in folder: URL? = nil, asUser user: String? = nil
    ) throws -> Result {
        let process = try start(arguments, environment: environment, in: folder, asUser: user)
        let input = process.standardInput as! Pipe
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        // Both pipes are read at once: a child that fills one while the other is read would block.
        let errorHandle = (process.standardError as! Pipe).fileHandleForReading
        let err = Mutex(Data())
        let reading = DispatchGroup()
        DispatchQueue.global().async(group: reading) {
            let data = errorHandle.readDataToEndOfFile()
            err.withLock { $0 = data }
        }
        let out = (process.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
        reading.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err.withLock { $0 }, as: UTF8.self))
    }

    /// Stops a started process: SIGTERM, then SIGKILL after `grace` seconds. Foundation's
    /// `waitUntilExit` may spin on Linux, so this polls.
    public static func stop(_ process: Process, grace: Double = 10) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Starts the executable without waiting (for tests that kill it).
    /// - Parameter user: run as this user (through `runuser`, which needs root).
    public static func start(_ arguments: [String], environment: [String: String] = [:], in folder: URL? = nil, asUser user: String? = nil) throws -> Process {
        let process = Process()
        if let user {
            process.executableURL = URL(fileURLWithPath: try Requirement.program("runuser", debianPackage: "util-linux"))
            process.arguments = ["-u", user, "--", try binary().path] + arguments
        } else {
            process.executableURL = try binary()
            process.arguments = arguments
        }
        if let folder { process.currentDirectoryURL = folder }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        process.standardInput = Pipe()
        try process.run()
        return process
    }
}
