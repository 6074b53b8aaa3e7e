import EnforcementEngine
import Foundation
import GRDB
import Testing
import TestSupport

/// A data folder for `serve` tests: a database with reporters (each its own organisation)
/// and a token file per reporter, all made through the command line.
struct ServeFixture {
    let folder: URL
    /// The PostgreSQL database, when the fixture is on PostgreSQL.
    let postgres: TestPostgres?
    var database: URL { folder.appendingPathComponent("abuse-ingest.db") }
    var spool: URL { folder.appendingPathComponent("spool") }
    /// `--db` (and, on PostgreSQL, `--data-dir`) for every command of the fixture.
    var target: [String] { postgres.map { ["--db", $0.url, "--data-dir", folder.path] } ?? ["--db", database.path] }

    init(reporters: [String] = ["isp-a", "isp-b"], backend: Backend = .sqlite) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        postgres = backend == .postgres ? try TestPostgres() : nil
        for id in reporters {
            let added = try CommandRunner.run(["reporters", "add", id, "--name", "ISP \(id)", "--organisation", "org-\(id)"] + target)
            try #require(added.status == 0, "\(added.stderr)")
            _ = try token(for: id)
        }
    }

    /// Creates a token for `reporter` (with `--expires` when given) and writes it to
    /// `<reporter>.token` (mode 0600) unless `write` is false; returns the token.
    @discardableResult
    func token(for reporter: String, expires: String? = nil, write: Bool = true) throws -> String {
        var arguments = ["reporters", "token", "create", reporter] + target
        if let expires { arguments += ["--expires", expires] }
        let created = try CommandRunner.run(arguments)
        try #require(created.status == 0, "\(created.stderr)")
        let token = try #require(created.stdout.split(separator: "\n").last.map(String.init))
        if write {
            let path = tokenFile(reporter)
            _ = FileManager.default.createFile(atPath: path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600])
        }
        return token
    }

    /// A rule that opens a case for an unregistered host writing to 5 unknown recipients.
    /// A rule that opens a case for an unregistered host rejected for 5 unknown recipients.
    static let rule = """
        id: many-unknown-recipients
        description: An unregistered host writes to many unknown recipients
        applies_to: [unregistered]
        subject: ip
        window: 24h
        when:
          - count: rejected.unknown_recipient
            at_least: 5
        action: open_case
        severity: low

        """

    /// Prometheus samples as `name{label="value",…}` → value, parsed by prometheus_client.
    static func parseMetrics(_ text: String) throws -> [String: Double] {
        let python = try Requirement.python(modules: ["prometheus_client"], pipPackage: "prometheus_client")
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
                    out[s.name + ("{" + labels + "}" if labels else "")] = s.value
            print(json.dumps(out))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "prometheus_client cannot parse /metrics: \(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Double])
    }

    func tokenFile(_ reporter: String) -> String { folder.appendingPathComponent("\(reporter).token").path }

    func storedToken(_ reporter: String) throws -> String {
        try String(contentsOfFile: tokenFile(reporter), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes `text` to a file under `in/` and returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        let url = folder.appendingPathComponent("in").appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func start(_ arguments: [String] = [], environment: [String: String] = [:], expectLines: Int = 1) throws -> ServeProcess {
        try ServeProcess(target: target, arguments: arguments, environment: environment, expectLines: expectLines)
    }

    /// The store read while the service runs (WAL: readers never block it).
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        let pool = try DatabasePool(path: database.path)
        defer { try? pool.close() }
        return try pool.read(body)
    }

    /// A query of one integer (a count) on the fixture's store, SQLite or PostgreSQL, while
    /// the services run.
    func storeQuery() throws -> (String) throws -> Int {
        let store = try EngineStore(location: postgres?.url ?? database.path)
        return { sql in Int(try store.sql.read { try $0.integer(sql) } ?? 0) }
    }

    /// Postfix lines from `client` at `minutesAgo` minutes before now: a connection and
    /// `rejects` rejected recipients, with the file's own marker so that every file differs.
    static func postfixLines(client: String, rejects: Int, minutesAgo: Int = 60, marker: String = "") -> String {
        let base = Date().addingTimeInterval(-Double(minutesAgo) * 60)
        let format = ISO8601DateFormatter()
        var lines: [String] = []
        let pid = 1000 + abs(marker.hashValue % 30000)
        lines.append("\(format.string(from: base)) mx1 postfix/smtpd[\(pid)]: connect from unknown[\(client)]")
        for i in 0..<rejects {
            let time = format.string(from: base.addingTimeInterval(Double(i + 1)))
            lines.append(
                "\(time) mx1 postfix/smtpd[\(pid)]: NOQUEUE: reject: RCPT from unknown[\(client)]: 550 5.1.1 <u\(i)\(marker)@example.net>: Recipient address rejected: User unknown in local recipient table; from=<a@b.example> to=<u\(i)\(marker)@example.net> proto=ESMTP helo=<x\(marker)>"
            )
        }
        lines.append("\(format.string(from: base.addingTimeInterval(Double(rejects + 2)))) mx1 postfix/smtpd[\(pid)]: disconnect from unknown[\(client)] ehlo=1 mail=1 rcpt=0/\(rejects) quit=1 commands=2/\(rejects + 2)")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// curl, the client ISPs and operators use by hand.
enum Curl {
    struct Reply {
        var status: Int
        var body: String
        var headers: String
        var exit: Int32
    }

    /// Runs curl with `arguments` and returns the status, body and response headers.
    static func run(_ arguments: [String]) throws -> Reply {
        let curl = try Requirement.program("curl", debianPackage: "curl")
        let headers = FileManager.default.temporaryDirectory.appendingPathComponent("curl-headers-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: headers) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: curl)
        process.arguments = ["-sS", "--max-time", "60", "-D", headers.path, "-w", "\n%{http_code}"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var text = String(decoding: data, as: UTF8.self)
        var status = 0
        if let newline = text.lastIndex(of: "\n") {
            status = Int(text[text.index(after: newline)...]) ?? 0
            text = String(text[..<newline])
        }
        let head = (try? String(contentsOf: headers, encoding: .utf8)) ?? ""
        return Reply(status: status, body: text, headers: head, exit: process.terminationStatus)
    }

    static func header(_ name: String, in reply: Reply) -> String? {
        for line in reply.headers.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() { return parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}

/// JSON text as a dictionary, for assertions.
func object(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
}
