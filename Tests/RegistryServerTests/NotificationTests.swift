import EnforcementEngine
import Foundation
import NIOCore
import NIOEmbedded
import Primitives
import Testing
import TestSupport

@testable import RegistryServer

/// FORMATS.md §9: `serve` e-mails the abuse contact the ARF report when a case suspends a
/// registration and a notice when staff decide, through a relay (here a scripted SMTP server
/// in Python, `Tests/Mail/smtp_relay.py`), and the case shows every attempt.
@Suite(.serialized) struct NotificationTests {
    /// The scripted relay as a process: `--plan` decides the reply to each message's end.
    final class Relay {
        let process: Process
        let port: Int
        let folder: URL

        init(folder: URL, arguments: [String]) throws {
            self.folder = folder
            let python = try Requirement.python()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [CommandRunner.repository.appendingPathComponent("Tests/Mail/smtp_relay.py").path, "--dir", folder.path] + arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            self.process = process
            let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            port = try #require(Int(line.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst(5)), "smtp_relay.py did not start: \(line)")
        }

        var messages: [URL] {
            ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []).filter { $0.pathExtension == "eml" }
                .sorted { $0.path < $1.path }
        }

        var commands: [String] {
            ((try? String(contentsOf: folder.appendingPathComponent("commands.log"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        func stop() { CommandRunner.stop(process, grace: 2) }
    }

    /// The demo's data: one suspension (C-2026-000001, of 198.51.100.20, whose abuse contact
    /// is abuse@bulk-sender.example), its report notice queued.
    static func demo() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-notify-\(UUID().uuidString)")
        let made = try CommandRunner.run(["demo", "--dir", folder.path])
        try #require(made.status == 0, "\(made.stderr)")
        return folder
    }

    static func show(_ database: URL, _ id: String = "C-2026-000001") throws -> [String: Any] {
        let shown = try CommandRunner.run(["cases", "show", id, "--json", "--db", database.path])
        try #require(shown.status == 0, "\(shown.stderr)")
        return try object(shown.stdout)
    }

    static func notices(_ database: URL) throws -> [[String: Any]] {
        try show(database)["notices"] as? [[String: Any]] ?? []
    }

    /// Each message parsed by Python's email package under policy.strict.
    static func parsed(_ files: [URL]) throws -> [[String: Any]] {
        let output = try Requirement.output(
            of: try Requirement.python(), [CommandRunner.repository.appendingPathComponent("Tests/Mail/read_mail.py").path] + files.map(\.path))
        return try output.split(separator: "\n").map { try object(String($0)) }
    }

    @Test func aDeferredReportIsDeliveredOnceAndARefusedNoticeShowsAsFailed() throws {
        let folder = try Self.demo()
        let database = folder.appendingPathComponent("abuse-ingest.db")
        #expect(try Self.notices(database).map { $0["status"] as? String } == ["queued"])
        let relay = try Relay(folder: folder.appendingPathComponent("relay"), arguments: ["--plan", "451,250,550"])
        defer { relay.stop() }
        let serve = try ServeProcess(
            database: database,
            arguments: ["--smtp-relay", "127.0.0.1:\(relay.port)", "--smtp-from", "reports@reg.example.org", "--smtp-retry", "1s", "--rules", folder.appendingPathComponent("rules").path])
        defer { serve.stop() }
        #expect(try ServeProcess.wait { (try Self.notices(database).first?["status"] as? String) == "sent" }, "serve log:\n\(serve.log.suffix(3000))")
        var notices = try Self.notices(database)
        #expect(notices.count == 1)
        #expect(notices[0]["kind"] as? String == "report")
        #expect(notices[0]["to"] as? String == "abuse@bulk-sender.example")
        #expect(notices[0]["attempts"] as? Int == 2)
        #expect((notices[0]["reply"] as? String)?.hasPrefix("250 2.0.0 ok") == true)
        #expect(relay.messages.count == 1, "the 451 must not leave a copy, the 250 exactly one")
        let report = try #require(try Self.parsed(relay.messages).first)
        let headers = try #require(report["headers"] as? [String: String])
        #expect(headers["Message-ID"] == "<C-2026-000001.n1@reg.example.org>")
        #expect(headers["From"] == "Registry of registered mail servers <reports@reg.example.org>")
        #expect(headers["To"] == "abuse@bulk-sender.example")
        #expect(report["report_type"] as? String == "feedback-report")
        #expect((report["report"] as? [String: String])?["Source-IP"] == "198.51.100.20")
        let history = try #require(try Self.show(database)["history"] as? [[String: Any]])
        let notifier = history.filter { $0["actor"] as? String == "notifier" }
        #expect(notifier.map { $0["action"] as? String } == ["notice deferred", "notice sent"])
        #expect((notifier.first?["reason"] as? String)?.contains("451 4.3.0 try again later") == true)

        // A decision: its notice is refused for good (550), and the case says so.
        let approved = try CommandRunner.run(["cases", "approve", "C-2026-000001", "--by", "alice", "--reason", "list washing confirmed", "--db", database.path])
        try #require(approved.status == 0, "\(approved.stderr)")
        #expect(try ServeProcess.wait { (try Self.notices(database).last?["status"] as? String) == "failed" }, "serve log:\n\(serve.log.suffix(3000))")
        notices = try Self.notices(database)
        #expect(notices.count == 2)
        #expect(notices[1]["kind"] as? String == "decision" && notices[1]["decision"] as? String == "approve")
        #expect((notices[1]["reply"] as? String)?.hasPrefix("550 5.7.1") == true)
        #expect(notices[1]["attempts"] as? Int == 1, "a 5xx is not retried")
        #expect(relay.messages.count == 1)
        let text = try CommandRunner.run(["cases", "show", "C-2026-000001", "--db", database.path]).stdout
        #expect(text.contains("approve notice to abuse@bulk-sender.example: failed (1 attempt"), "\(text)")
        #expect(serve.log.contains("notice failed"))
        // An attempt recorded for a notice that is not there is refused as such, not as a case.
        let store = try EngineStore(path: database.path)
        #expect(throws: EngineStore.CaseError.noSuchNotice(999_999)) {
            try store.recordAttempt(noticeID: 999_999, outcome: .sent(reply: "250 ok"), at: 0)
        }
    }

    @Test func startTLSIsUsedAndTheLoginFollowsIt() throws {
        let folder = try Self.demo()
        let database = folder.appendingPathComponent("abuse-ingest.db")
        let certificates = try TestCertificates(in: folder.appendingPathComponent("tls"))
        let relay = try Relay(
            folder: folder.appendingPathComponent("relay"),
            arguments: ["--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey, "--auth", "registry:s3cret pass"])
        defer { relay.stop() }
        let password = folder.appendingPathComponent("smtp-password")
        try Data("s3cret pass\n".utf8).write(to: password)
        func config(ca: String) throws -> String {
            let file = folder.appendingPathComponent("serve.yaml")
            try Data(
                """
                smtp_relay: 127.0.0.1:\(relay.port)
                smtp_from: reports@reg.example.org
                smtp_username: registry
                smtp_password_file: \(password.path)
                smtp_ca_file: \(ca)
                smtp_retry: 1s
                rules: \(folder.appendingPathComponent("rules").path)

                """.utf8
            ).write(to: file)
            return file.path
        }
        // A relay whose certificate this side cannot verify gets nothing: deferred, with why.
        var serve = try ServeProcess(database: database, arguments: ["--config", try config(ca: certificates.otherCA)])
        #expect(try ServeProcess.wait { (try Self.notices(database).first?["status"] as? String) == "deferred" }, "serve log:\n\(serve.log.suffix(3000))")
        let reply = try Self.notices(database).first?["reply"] as? String ?? ""
        #expect(reply == "TLS with 127.0.0.1:\(relay.port) failed: its certificate does not verify (see smtp_ca_file)", "\(reply)")
        #expect(!relay.commands.contains { $0.hasPrefix("AUTH") || $0.hasPrefix("MAIL") })
        serve.stop()

        serve = try ServeProcess(database: database, arguments: ["--config", try config(ca: certificates.ca)])
        defer { serve.stop() }
        #expect(try ServeProcess.wait { (try Self.notices(database).first?["status"] as? String) == "sent" }, "serve log:\n\(serve.log.suffix(3000))")
        let approved = try CommandRunner.run(["cases", "dismiss", "C-2026-000001", "--by", "bob", "--reason", "Kundin hat es erklärt: Newsletter", "--db", database.path])
        try #require(approved.status == 0, "\(approved.stderr)")
        #expect(try ServeProcess.wait { (try Self.notices(database).last?["status"] as? String) == "sent" }, "serve log:\n\(serve.log.suffix(3000))")
        // Each session: EHLO, STARTTLS, TLS, EHLO again, AUTH, then the envelope.
        let all = relay.commands
        let commands = all.dropFirst(max(0, (all.firstIndex(of: "(TLS)") ?? all.count) - 1))
        let order = ["STARTTLS", "(TLS)", "EHLO", "AUTH", "(AUTH ok)", "MAIL FROM:<reports@reg.example.org>", "RCPT TO:<abuse@bulk-sender.example>", "DATA"]
        #expect(Array(commands.prefix(order.count)).enumerated().allSatisfy { $0.element.hasPrefix(order[$0.offset]) }, "\(relay.commands)")
        let messages = try Self.parsed(relay.messages)
        #expect(messages.count == 2)
        let notice = try #require(messages.last)
        let headers = try #require(notice["headers"] as? [String: String])
        #expect(headers["Subject"] == "C-2026-000001: case dismissed, 198.51.100.20 restored")
        #expect(headers["Message-ID"] == "<C-2026-000001.n2@reg.example.org>")
        #expect(headers["Auto-Submitted"] == "auto-generated")
        let body = (notice["text"] as? [String])?.first ?? ""
        #expect(body.contains("Kundin hat es erklärt: Newsletter"), "\(body)")
        #expect(body.contains("back to what it was before the case"))
    }

    // MARK: The pieces

    @Test func dataIsDotStuffedWithCRLFLineEnds() throws {
        let block = try SMTPClient.dataBlock(Array("Subject: x\n\n.hidden\nlast line".utf8))
        #expect(String(decoding: block, as: UTF8.self) == "Subject: x\r\n\r\n..hidden\r\nlast line\r\n.\r\n")
        #expect(String(decoding: try SMTPClient.dataBlock(Array("a\r\n.\r\n".utf8)), as: UTF8.self) == "a\r\n..\r\n.\r\n")
        #expect(throws: SMTPClient.Failure.self) { try SMTPClient.dataBlock(Array(repeating: UInt8(ascii: "x"), count: 999)) }
    }

    @Test func repliesAreAssembledAndBounded() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMTPReplyDecoder()))
        try channel.writeInbound(ByteBuffer(string: "250-relay.test\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n354 go\r\n"))
        let ehlo = try #require(try channel.readInbound(as: SMTPReply.self))
        #expect(ehlo.code == 250 && ehlo.extensions["STARTTLS"] == [] && ehlo.extensions["AUTH"] == ["PLAIN", "LOGIN"])
        #expect(try channel.readInbound(as: SMTPReply.self) == SMTPReply(code: 354, lines: ["go"]))
        #expect(throws: SMTPReplyDecoder.Malformed.self) { try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\n")) }
        let long = EmbeddedChannel(handler: ByteToMessageHandler(SMTPReplyDecoder()))
        #expect(throws: SMTPReplyDecoder.Malformed.self) { try long.writeInbound(ByteBuffer(string: "250-" + String(repeating: "a", count: 3000))) }
    }

    @Test func retriesBackOffUpToTheCap() {
        #expect((0..<8).map { Notifier.backoff(attempts: $0, first: 60_000, most: 3_600_000) } == [60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000])
    }

    @Test func onlyPlainMailAddressesAreAccepted() {
        #expect(MailAddress("abuse@Bulk-Sender.example")?.description == "abuse@bulk-sender.example")
        for bad in ["abuse", "@x.example", "a@", "a b@x.example", "a@x.example>\r\nRCPT TO:<b@y.example", "a..b@x.example", "a@-x.example", "<a@x.example>", "\"a\"@x.example"] {
            #expect(MailAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func quotedPrintableKeepsLinesShortAndEscapesWhatItMust() {
        let text = NoticeMail.quotedPrintable("Grüße = regards \n" + String(repeating: "x", count: 100))
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines[0] == "Gr=C3=BC=C3=9Fe =3D regards=20")
        #expect(lines.allSatisfy { $0.count <= 76 })
        #expect(lines[1].hasSuffix("=") && lines[1].count == 76)
    }
}
