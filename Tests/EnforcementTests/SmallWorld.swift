import EnforcementEngine
import Evidence
import Foundation
import GRDB
import LogParsers
import Primitives
import RegistryClient

/// A store with a registry and reporters of its own, fed Postfix lines written by hand:
/// for end-to-end tests that need addresses the demo does not have (IPv6, a registrant
/// with several networks).
struct SmallWorld {
    let folder: URL
    let store: EngineStore
    static let shippedAt = Date(timeIntervalSince1970: 1_795_932_000)  // 2026-11-29T06:00:00Z
    static let asOf = ISOTime.parse("2026-11-29T00:00:00Z")!

    init(registry csv: String, reporters: [(id: String, organisation: String)]) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-world-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try EngineStore(database: try DatabaseConnection.open(path: folder.appendingPathComponent("abuse-ingest.db").path))
        _ = try store.registry.importRows(try RegistryCSV(bytes: Array(csv.utf8)).rows, file: "registry.csv", sha256: "world", now: 0)
        for reporter in reporters {
            try store.addReporter(Reporter(id: reporter.id, name: reporter.id, organisation: reporter.organisation, createdAt: 0))
        }
    }

    /// A night of Postfix lines on 28 November: for each client, `connects` connections and
    /// `unknown` refusals of unknown recipients, spread over the day.
    static func postfixNight(_ clients: [(ip: String, connects: Int, unknown: Int)], host: String) -> String {
        var lines: [(Int, String)] = []
        var n = 0
        for client in clients {
            let peer = "unknown[\(client.ip)]"
            for i in 0..<client.connects {
                lines.append((i * 600 % 86_400, "postfix/smtpd[\(100 + i)]: connect from \(peer)"))
            }
            for i in 0..<client.unknown {
                n += 1
                let second = (i * 337 + 60) % 86_400
                lines.append((second, "postfix/smtpd[\(100 + i)]: NOQUEUE: reject: RCPT from \(peer): 550 5.1.1 <user\(n)@\(host)>: Recipient address rejected: User unknown in local recipient table; from=<offers@sender.example> to=<user\(n)@\(host)> proto=ESMTP helo=<sender.example>"))
            }
        }
        return lines.sorted { $0.0 < $1.0 }.map { second, text in
            "Nov 28 \(twoDigits(second / 3600)):\(twoDigits(second / 60 % 60)):\(twoDigits(second % 60)) \(host) \(text)"
        }.joined(separator: "\n") + "\n"
    }

    /// Ships `text` as a gzip file for `reporter` and ingests it.
    func ingest(_ text: String, reporter: String, name: String) throws -> FileOutcome {
        let path = folder.appendingPathComponent("\(reporter)-\(name)").path
        let writer = try GzipFileWriter(path: path)
        writer.write(text)
        try writer.close()
        try FileManager.default.setAttributes([.modificationDate: Self.shippedAt], ofItemAtPath: path)
        let ingestor = Ingestor(store: store, index: try store.registry.loadIndex(), options: .init(dataFolder: folder))
        return try ingestor.ingest(files: [path], reporter: try store.reporter(id: reporter)!, now: Self.asOf + 6 * 3_600_000)[0]
    }

    func evaluate(_ rules: RuleSet) throws -> [CaseChange] {
        try Enforcement(store: store, dataFolder: folder, clock: .fixed(Self.asOf)).evaluate(rules: rules).changes
    }

    func export(_ caseID: String) throws -> (bundle: EvidenceBundle, key: RegistryKey) {
        let key = try RegistryKey.loadOrCreate(dataFolder: folder)
        return (try EvidenceExporter(store: store, dataFolder: folder, key: key).bundle(caseID: caseID), key)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

/// A number below 100 with two digits.
func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
