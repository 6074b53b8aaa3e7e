import EnforcementEngine
import Foundation
import GRDB
import LogParsers
import RegistryClient
import TestSupport

/// A data folder with a database (a SQLite file in the folder, or a database of its own on
/// the throwaway PostgreSQL cluster), a registry and two reporters, for ingest tests.
struct IngestFixture {
    let folder: URL
    let store: EngineStore
    let backend: Backend
    private let postgres: TestPostgres?
    var databasePath: String { folder.appendingPathComponent("abuse-ingest.db").path }

    static let registryCSV = """
        network,registrant,status,abuse_contact,since
        198.51.100.0/28,R-000123,active,abuse@example.net,2026-01-15T00:00:00Z
        192.0.2.25/32,R-000200,suspended,abuse@bad.example,2026-11-01T00:00:00Z

        """

    /// On `backend`; with `.postgres`, in a database of the shared test cluster, or in
    /// the database at `location` when given (a private cluster).
    init(_ backend: Backend = .sqlite, configuration: Configuration? = nil, location: PostgresLocation? = nil) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-ingest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        self.backend = backend
        switch backend {
        case .sqlite:
            let path = folder.appendingPathComponent("abuse-ingest.db").path
            let pool = try configuration.map { try DatabasePool(path: path, configuration: $0) } ?? DatabaseConnection.open(path: path)
            store = try EngineStore(database: pool)
            postgres = nil
        case .postgres:
            let database = try location == nil ? TestPostgres() : nil
            postgres = database
            store = try EngineStore(postgres: try PostgresPool(location ?? database!.location))
        }
        let csv = try RegistryCSV(bytes: Array(Self.registryCSV.utf8))
        _ = try store.registry.importRows(csv.rows, file: "registry.csv", sha256: "test", now: 0)
        try store.addReporter(Reporter(id: "isp-a", name: "ISP A", organisation: "A", createdAt: 0))
        try store.addReporter(Reporter(id: "isp-b", name: "ISP B", organisation: "B", timezone: "Europe/Zurich", createdAt: 0))
    }

    func ingestor() throws -> Ingestor {
        Ingestor(store: store, index: try store.registry.loadIndex(), options: .init(dataFolder: folder))
    }

    func reporter(_ id: String) throws -> Reporter { try store.reporter(id: id)! }

    /// When test logs were shipped: their files' modification time, the reference that
    /// year-less stamps are placed before (so no test depends on today's date).
    static let shippedAt = Date(timeIntervalSince1970: 1_795_932_000)  // 2026-11-29T06:00:00Z

    /// Writes a file into the data folder's `in/`, modified at `modified`, and returns its path.
    func write(_ name: String, _ bytes: [UInt8], modified: Date = IngestFixture.shippedAt) throws -> String {
        let url = folder.appendingPathComponent("in").appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: url.path)
        return url.path
    }

    /// Every stored record and ingested shipment, in a stable order, as text (to compare
    /// two stores). Records name shipments by digest, not by id (ids follow commit order).
    func snapshot() throws -> [String] {
        var records: [String] = []
        try store.forEachRecord { item in
            let r = item.record
            let counts = r.counts.map { "\($0.hourOfDay)/\($0.kind)/\($0.reason)/\($0.status)=\($0.count)" }.joined(separator: ",")
            let samples = r.samples.map { "\($0.kind).\($0.reason)@\($0.line):\($0.offset)" }.joined(separator: ",")
            records.append("\(item.shipmentSHA256) \(item.reporter) \(r.ip?.description ?? "?") \(r.day) \(r.first) \(r.last) [\(counts)] [\(samples)]")
        }
        let shipments = try store.sql.read { db in
            try db.rows("SELECT sha256, status, lines, events FROM shipment WHERE status = 'ingested' ORDER BY 1") { row in
                "\(try row.requiredText(0)) \(try row.requiredText(1)) \(try row.required(2)) \(try row.required(3))"
            }
        }
        return records.sorted() + shipments
    }

    func count(_ sql: String) throws -> Int { Int(try store.sql.read { try $0.integer(sql) } ?? 0) }

    /// Every stored count as (client key in hex, UTC hour, status, count), in key and hour order.
    func counts() throws -> [(ip: String, hour: Int64, status: RegistrationStatus, count: Int)] {
        var result: [(ip: String, hour: Int64, status: RegistrationStatus, count: Int)] = []
        try store.forEachRecord { item in
            for entry in item.record.counts {
                result.append((item.record.key.map { String(format: "%02X", $0) }.joined(), Int64(item.record.day) * 24 + Int64(entry.hourOfDay), RegistrationStatus(code: entry.status) ?? .unknown, entry.count))
            }
        }
        return result.sorted { ($0.ip, $0.hour) < ($1.ip, $1.hour) }
    }

    func remove() {
        try? FileManager.default.removeItem(at: folder)
        postgres?.remove()
    }
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
