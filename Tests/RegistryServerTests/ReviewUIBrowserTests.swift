import Foundation
import Testing
import TestSupport

/// The staff review UI in a real Chromium (Debian's `chromium` and `chromium-driver`,
/// driven by Selenium from `Tests/Browser/review_ui.py`), against `serve` started as a
/// process over the demo's data with two more cases: a second dictionary attack by a
/// registered server (suspended) and an unregistered host whose log lines carry HTML.
@Suite(.serialized) struct ReviewUIBrowserTests {
    static let zone = "reg.example.org"
    static let secondSuspended = "198.51.100.50"
    static let injection = "203.0.113.99"

    /// Syslog stamps (UTC, no year) `minutesAgo` before now.
    static func stamp(minutesAgo: Int) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "MMM dd HH:mm:ss"
        return formatter.string(from: Date().addingTimeInterval(-Double(minutesAgo) * 60))
    }

    /// A registered server rejected for unknown recipients `count` times at one ISP.
    static func dictionaryAttack(host: String, count: Int) -> String {
        (0..<count).map { n in
            let t = stamp(minutesAgo: 600 - n * 4)
            return "\(t) \(host) postfix/smtpd[\(2000 + n)]: connect from mx.clean-host.example[\(secondSuspended)]\n"
                + "\(t) \(host) postfix/smtpd[\(2000 + n)]: NOQUEUE: reject: RCPT from mx.clean-host.example[\(secondSuspended)]: 550 5.1.1 <u\(n)@\(host)>: "
                + "Recipient address rejected: User unknown in local recipient table; from=<news@clean-host.example> to=<u\(n)@\(host)> proto=ESMTP helo=<mx.clean-host.example>\n"
        }.joined()
    }

    /// An unregistered host whose HELO, sender and recipients are HTML.
    static var hostileLines: String {
        (0..<8).map { n in
            "\(stamp(minutesAgo: 120 - n)) mx1 postfix/smtpd[31\(n)]: NOQUEUE: reject: RCPT from unknown[\(injection)]: 550 5.1.1 <</textarea>\(n)@isp-east.example>: "
                + "Recipient address rejected: User unknown in local recipient table; from=<\"><img src=x onerror=alert(1)>@evil.example> "
                + "to=<</textarea>\(n)@isp-east.example> proto=ESMTP helo=<<script>alert(1)</script>>\n"
        }.joined()
    }

    func run(_ arguments: [String], stdin: String? = nil) throws -> CommandRunner.Result {
        let result = try CommandRunner.run(arguments, stdin: stdin.map { Data($0.utf8) })
        try #require(result.status == 0, "abuse-ingest \(arguments.joined(separator: " ")): \(result.stderr)")
        return result
    }

    @Test func reviewersDecideInARealBrowserAndDNSFollows() throws {
        let python = try Requirement.python(modules: ["selenium"], pipPackage: "selenium")
        let chromium = try Requirement.program("chromium", debianPackage: "chromium")
        let driver = try Requirement.program("chromedriver", debianPackage: "chromium-driver")
        try Requirement.program("dig", debianPackage: "bind9-dnsutils")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-review-ui-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("abuse-ingest.db").path
        _ = try run(["demo", "--dir", folder.path])
        try ServeFixture.rule.write(to: folder.appendingPathComponent("rules/many-unknown-recipients.yaml"), atomically: true, encoding: .utf8)
        for (reporter, host) in [("isp-east", "relay.east.example"), ("isp-north", "mx.north.example"), ("isp-south", "in.south.example")] {
            let file = folder.appendingPathComponent("attack-\(reporter).log")
            try Self.dictionaryAttack(host: host, count: 120).write(to: file, atomically: true, encoding: .utf8)
            _ = try run(["ingest", "--reporter", reporter, file.path, "--db", db])
        }
        let hostile = folder.appendingPathComponent("hostile.log")
        try Self.hostileLines.write(to: hostile, atomically: true, encoding: .utf8)
        _ = try run(["ingest", "--reporter", "isp-east", hostile.path, "--db", db])
        _ = try run(["evaluate", "--db", db])
        let admin = try run(["staff", "add", "head-of-abuse", "--role", "admin", "--db", db]).stdout.split(separator: "\n").map(String.init)
        try #require(admin.count == 2 && admin[1].hasPrefix("otpauth://totp/"), "staff add --role admin prints a password and a TOTP URI: \(admin)")
        _ = try run(["staff", "add", "reviewer-1", "--role", "reviewer", "--db", db], stdin: "reviewer one's long passphrase\n")
        // The second server: short sessions, its own accounts and its own failed-login count.
        let short = folder.appendingPathComponent("short")
        try FileManager.default.createDirectory(at: short, withIntermediateDirectories: true)
        let shortDB = short.appendingPathComponent("abuse-ingest.db").path
        _ = try run(["staff", "add", "night-shift", "--role", "reviewer", "--db", shortDB], stdin: "night shift passphrase\n")
        _ = try run(["staff", "add", "lock-me", "--role", "reviewer", "--db", shortDB], stdin: "the right passphrase\n")

        let dnsPort = freePort()
        let serve = try ServeProcess(
            database: URL(fileURLWithPath: db), arguments: ["--dns", "127.0.0.1:\(dnsPort)", "--zone", Self.zone, "--evaluate-every", "1h"], expectLines: 2)
        defer { _ = serve.stop() }
        let shortServe = try ServeProcess(database: URL(fileURLWithPath: shortDB), arguments: ["--session-idle", "2s"])
        defer { _ = shortServe.stop() }
        let screenshots = ProcessInfo.processInfo.environment["ABUSE_INGEST_SCREENSHOTS"] ?? folder.path
        let accounts: [String: String] = [
            "admin": "head-of-abuse", "admin_password": admin[0], "admin_totp_uri": admin[1], "reviewer": "reviewer-1",
            "reviewer_password": "reviewer one's long passphrase", "short": "night-shift", "short_password": "night shift passphrase", "lock": "lock-me",
            "lock_password": "the right passphrase",
        ]
        let script = CommandRunner.repository.appendingPathComponent("Tests/Browser/review_ui.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            script, "--url", serve.url, "--short-url", shortServe.url, "--dns-port", String(dnsPort), "--zone", Self.zone,
            "--accounts", String(decoding: try JSONSerialization.data(withJSONObject: accounts), as: UTF8.self), "--suspended-ip", "198.51.100.20",
            "--second-suspended-ip", Self.secondSuspended, "--injection-ip", Self.injection, "--screenshots", screenshots, "--chromium", chromium, "--chromedriver", driver,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        print(text)
        #expect(process.terminationStatus == 0 && text.contains("ALL OK"), "review_ui.py:\n\(text)\nserve log:\n\(serve.log.suffix(4000))")
        for name in ["queue.png", "case.png", "reporters.png"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(screenshots)/\(name)")[.size] as? Int) ?? 0
            #expect(size > 20_000, "the screenshot \(name) was taken (\(size) bytes)")
        }
    }
}
