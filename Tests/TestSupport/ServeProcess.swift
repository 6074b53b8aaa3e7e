import Foundation
import Synchronization

/// `abuse-ingest serve` started for a test: its HTTP address read from the first line it
/// prints, its standard error kept for assertions. Stopped (SIGTERM, then SIGKILL) by `stop`.
public final class ServeProcess {
    public let process: Process
    public let url: String
    public let port: Int
    /// Every address line printed (`http://…`, `dns …`).
    public let announced: [String]
    private let errors: ErrorLog

    public struct StartFailure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts `serve --db DB --http 127.0.0.1:0 ARGS…` and waits (up to 60 s) until it
    /// listens; `expectLines` address lines are awaited (2 with `--dns`).
    public convenience init(database: URL, arguments: [String] = [], environment: [String: String] = [:], expectLines: Int = 1) throws {
        try self.init(target: ["--db", database.path], arguments: arguments, environment: environment, expectLines: expectLines)
    }

    /// `serve` on the database `target` names (`--db`, and `--data-dir` with PostgreSQL).
    public init(target: [String], arguments: [String] = [], environment: [String: String] = [:], workingDirectory: URL? = nil, expectLines: Int = 1) throws {
        var args = ["serve"] + target
        if !arguments.contains("--http") { args += ["--http", "127.0.0.1:0"] }
        let process = try CommandRunner.start(args + arguments, environment: environment, in: workingDirectory)
        self.process = process
        let errors = ErrorLog()
        self.errors = errors
        let errorHandle = (process.standardError as! Pipe).fileHandleForReading
        let thread = Thread {
            while true {
                let chunk = errorHandle.availableData
                if chunk.isEmpty { break }
                errors.data.withLock { $0.append(chunk) }
            }
        }
        thread.start()
        let out = (process.standardOutput as! Pipe).fileHandleForReading
        var buffer = Data()
        var lines: [String] = []
        let deadline = Date().addingTimeInterval(60)
        while lines.count < expectLines {
            guard Date() < deadline, process.isRunning || !buffer.isEmpty else { break }
            let chunk = out.availableData
            if chunk.isEmpty {
                if !process.isRunning { break }
                continue
            }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: 10) {
                lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                buffer.removeSubrange(buffer.startIndex...newline)
            }
        }
        announced = lines
        guard let http = lines.first(where: { $0.hasPrefix("http") }), let port = Int(http.split(separator: ":").last ?? "") else {
            CommandRunner.stop(process, grace: 2)
            Thread.sleep(forTimeInterval: 0.1)
            throw StartFailure(description: "serve did not start: \(String(decoding: errors.data.withLock { $0 }, as: UTF8.self))")
        }
        url = http
        self.port = port
    }

    /// What the service logged so far.
    public var log: String { String(decoding: errors.data.withLock { $0 }, as: UTF8.self) }

    /// SIGTERM and wait (SIGKILL after `grace` s); returns the seconds it took to exit.
    @discardableResult
    public func stop(grace: Double = 15) -> Double {
        let start = Date()
        CommandRunner.stop(process, grace: grace)
        return Date().timeIntervalSince(start)
    }

    /// SIGKILL: a crash.
    public func crash() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes.
    public static func wait(timeout: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try condition()
    }
}

/// What a process wrote to standard error, read on a thread of its own.
final class ErrorLog: Sendable {
    let data = Mutex(Data())
}
