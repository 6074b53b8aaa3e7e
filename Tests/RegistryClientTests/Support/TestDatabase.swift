import Foundation
import GRDB
import Primitives
import RegistryClient

/// A registry in a fresh SQLite file in a temporary folder.
struct TestRegistry {
    let folder: URL
    let store: RegistryStore

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try RegistryStore(database: try DatabaseConnection.open(path: folder.appendingPathComponent("test.db").path))
    }

    /// Validates and imports CSV text.
    @discardableResult
    func importCSV(_ text: String, now: String = "2026-11-01T00:00:00Z") throws -> RegistryStore.ImportSummary {
        let csv = try RegistryCSV(bytes: Array(text.utf8))
        return try store.importRows(csv.rows, file: "test.csv", sha256: String(text.hashValue), now: ISOTime.parse(now)!)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

func time(_ text: String) -> Int64 { ISOTime.parse(text)! }
func ip(_ text: String) -> IPAddress { IPAddress(text)! }

/// Runs a program and returns its standard output (and exit status).
func run(_ arguments: [String], timeout: TimeInterval = 20) throws -> (output: String, status: Int32) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    return (String(decoding: data, as: UTF8.self), process.terminationStatus)
}
