import EnforcementEngine
import Foundation
import GRDB
import LogParsers
import RegistryClient

/// A data folder with a database, a registry and two reporters, for ingest tests.
struct IngestFixture {
    let folder: URL
    let store: EngineStore
    var databasePath: String { folder.appendingPathComponent("abuse-ingest.db").path }

    static let registryCSV = """
        network,registrant,status,abuse_contact,since
        198.51.100.0/28,R-000123,active,abuse@example.net,2026-01-15T00:00:00Z
        192.0.2.25/32,R-000200,suspended,abuse@bad.example,2026-11-01T00:00:00Z

        """

    init(configuration: Configuration? = nil) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-ingest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("abuse-ingest.db").path
        let pool = try configuration.map { try DatabasePool(path: path, configuration: $0) } ?? DatabaseConnection.open(path: path)
        store = try EngineStore(database: pool)
        let csv = try RegistryCSV(bytes: Array(Self.registryCSV.utf8))
        _ = try store.registry.importRows(csv.rows, file: "registry.csv", sha256: "test", now: 0)
        try store.addReporter(Reporter(id: "isp-a", name: "ISP A", organisation: "A", createdAt: 0))
        try store.addReporter(Reporter(id: "isp-b", name: "ISP B", organisation: "B", timezone: "Europe/Zurich", createdAt: 0))
    }

    func ingestor() throws -> Ingestor {
        Ingestor(store: store, index: try store.registry.loadIndex(), options: .init(dataFolder: folder))
    }

    func reporter(_ id: String) throws -> Reporter { try store.reporter(id: id)! }

    /// Writes a file into the data folder's `in/` and returns its path.
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = folder.appendingPathComponent("in").appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Every aggregate row, in a stable order, as text (to compare two stores).
    func snapshot() throws -> [String] {
        try store.database.read { db in
            let counts = try Row.fetchAll(db, sql: "SELECT hex(ip), reporter_id, day, hex(counts), first_seen, last_seen FROM event_day ORDER BY 1, 2, 3")
            // Samples name shipments by id: compare them by the shipment's digest instead.
            let digests = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, sha256 FROM shipment").map { ($0[0] as Int64, $0[1] as String) })
            var samples: [String] = []
            for row in try Row.fetchAll(db, sql: "SELECT hex(ip), reporter_id, samples FROM sample_set ORDER BY 1, 2") {
                for e in try SampleSet.decode(row[2]) {
                    samples.append("\(row[0] as String) \(row[1] as String) \(e.kind).\(e.reason) \(e.priority) \(digests[e.shipmentID] ?? "?") \(e.line) \(e.offset)")
                }
            }
            let shipments = try Row.fetchAll(db, sql: "SELECT sha256, status, lines, events FROM shipment WHERE status = 'ingested' ORDER BY 1")
            return (counts + shipments).map { $0.description } + samples.sorted()
        }
    }

    func count(_ sql: String) throws -> Int { try store.database.read { try Int.fetchOne($0, sql: sql) ?? 0 } }

    /// Every stored count as (client hex, UTC hour, status, count), decoded from the day rows.
    func counts() throws -> [(ip: String, hour: Int64, status: RegistrationStatus, count: Int)] {
        try store.database.read { db in
            var result: [(String, Int64, RegistrationStatus, Int)] = []
            for row in try Row.fetchAll(db, sql: "SELECT hex(ip), day, counts FROM event_day ORDER BY 1, 2") {
                let day: Int64 = row[1]
                for entry in try DayCounts.decode(row[2]) {
                    result.append((row[0], day * 24 + Int64(entry.hourOfDay), StatusCode.status(Int(entry.status)), entry.count))
                }
            }
            return result
        }
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

/// Synthetic Postfix traffic for ingest tests: connects, rejects and SASL failures.
enum TestLog {
    static func postfix(lines: Int, seed: UInt64 = 1, day: String = "Nov 28", clients: Int = 5000) -> [UInt8] {
        var state = seed
        var out: [UInt8] = []
        out.reserveCapacity(lines * 120)
        for i in 0..<lines {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let n = Int(state >> 40) % clients
            let ip = "100.\(64 + (n >> 16) & 63).\((n >> 8) & 255).\(n & 255)"
            let second = i * 86_400 / max(lines, 1)
            let stamp = "\(day) \(pad(second / 3600)):\(pad(second / 60 % 60)):\(pad(second % 60)) mx"
            let text: String
            switch state >> 61 {
            case 0, 1, 2: text = "\(stamp) postfix/smtpd[1]: connect from unknown[\(ip)]"
            case 3, 4: text = "\(stamp) postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[\(ip)]: 550 5.1.1 <u\(i)@isp.example>: Recipient address rejected: User unknown; from=<x@y.example> to=<u\(i)@isp.example> proto=ESMTP helo=<h>"
            case 5: text = "\(stamp) postfix/smtpd[1]: warning: unknown[\(ip)]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"
            case 6: text = "\(stamp) dovecot: imap-login: Login: user=<u@isp.example>, rip=\(ip)"
            default: text = "\(stamp) postfix/smtpd[1]: disconnect from unknown[\(ip)] ehlo=1 quit=1 commands=2"
            }
            out += Array(text.utf8)
            out.append(0x0A)
        }
        return out
    }

    static func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-gz-\(UUID().uuidString)")
        try Data(bytes).write(to: url)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-n", "-f", url.path]
        try process.run()
        process.waitUntilExit()
        let data = try Data(contentsOf: URL(fileURLWithPath: url.path + ".gz"))
        try? FileManager.default.removeItem(atPath: url.path + ".gz")
        return Array(data)
    }
}
