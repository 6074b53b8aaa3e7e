import Foundation
import LogParsers
import Primitives

/// A small world for `demo` and the engine's tests: a registry, four ISPs (Postfix, Exim,
/// Sendmail) from four organisations, and three nights of their logs with a dictionary
/// attacker among the registered servers, a block-listed one, an unregistered spam source,
/// a compromised registered server trying passwords (SASL brute force), a clean server that
/// one ISP alone accuses, and ordinary traffic. Deterministic.
public struct DemoScenario: Sendable {
    public struct Reporter: Sendable {
        public var id: String
        public var name: String
        public var organisation: String
        public var mta: MTA
        public var host: String
    }

    /// The addresses and what they do.
    public static let goodServer = "198.51.100.5"
    public static let dictionaryAttacker = "198.51.100.20"
    public static let blockListed = "198.51.100.40"
    public static let falselyAccused = "198.51.100.50"
    public static let passwordGuesser = "198.51.100.70"
    public static let unregisteredSpammer = "203.0.113.66"

    public static let registryCSV = """
        network,registrant,status,abuse_contact,since
        198.51.100.0/28,R-000123,active,abuse@good-mail.example,2026-01-15T00:00:00Z
        198.51.100.16/28,R-000124,active,abuse@bulk-sender.example,2026-03-01T00:00:00Z
        198.51.100.32/28,R-000125,active,noc@listed-host.example,2026-02-10T00:00:00Z
        198.51.100.48/28,R-000126,active,postmaster@clean-host.example,2026-04-20T00:00:00Z
        198.51.100.64/28,R-000127,active,abuse@hosted-mail.example,2026-05-05T00:00:00Z
        192.0.2.25/32,R-000200,suspended,abuse@bad.example,2026-11-01T00:00:00Z

        """

    public static let reporters: [Reporter] = [
        Reporter(id: "isp-north", name: "North Telecom mail platform", organisation: "North Telecom", mta: .postfix, host: "mx1.north.example"),
        Reporter(id: "isp-south", name: "South Net inbound", organisation: "South Net", mta: .exim, host: "mx.south.example"),
        Reporter(id: "isp-east", name: "East Mail relays", organisation: "East Mail", mta: .sendmail, host: "relay.east.example"),
        Reporter(id: "isp-west", name: "West Fiber mail", organisation: "West Fiber", mta: .postfix, host: "mail.west.example"),
    ]

    /// The three nights (UTC days), oldest first.
    public static let nights = ["2026-11-26", "2026-11-27", "2026-11-28"]
    /// The end of the last night: the moment `demo` evaluates at.
    public static let evaluationTime = ISOTime.parse("2026-11-29T00:00:00Z")!

    public init() {}

    /// Writes every reporter's nights as gzip files, `FOLDER/<reporter>/<night>.log.gz`, each
    /// dated the next morning (the reference for year-less stamps, as a shipped file is).
    public func writeShipments(to folder: URL) throws -> [(reporter: Reporter, files: [String])] {
        try Self.reporters.map { reporter in
            let logs = folder.appendingPathComponent(reporter.id)
            try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
            let files = try Self.nights.map { night -> String in
                let path = logs.appendingPathComponent("\(night).log.gz").path
                let writer = try GzipFileWriter(path: path)
                writer.write(log(for: reporter, night: night))
                try writer.close()
                let shippedAt = ISOTime.parse(night + "T06:00:00Z")! + 86_400_000
                try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: Double(shippedAt) / 1000)], ofItemAtPath: path)
                return path
            }
            return (reporter, files)
        }
    }

    /// The log lines of one reporter for one night (UTC times in the stamps).
    public func log(for reporter: Reporter, night: String) -> String {
        var rng = SplitMix64(seed: UInt64(abs(reporter.id.hashValueStable &+ night.hashValueStable)))
        var lines: [(Int, String)] = []
        let month = "Nov"
        let day = Int(night.suffix(2))!
        func stamp(_ second: Int) -> String {
            let h = second / 3600, m = second / 60 % 60, s = second % 60
            switch reporter.mta {
            case .exim: return "\(night) \(pad(h)):\(pad(m)):\(pad(s))"
            default: return "\(month) \(day < 10 ? " " : "")\(day) \(pad(h)):\(pad(m)):\(pad(s)) \(reporter.host)"
            }
        }
        func at() -> Int { Int(rng.next() % 86_400) }
        var queue = 0x5A000
        func add(_ second: Int, _ text: String) { lines.append((second, stamp(second) + " " + text)) }
        func accepted(_ ip: String, _ name: String, _ n: Int) {
            for i in 0..<n {
                let t = at()
                queue += 1
                switch reporter.mta {
                case .postfix:
                    add(t, "postfix/smtpd[\(2000 + i)]: connect from \(name)[\(ip)]")
                    add(t, "postfix/smtpd[\(2000 + i)]: \(queueID(queue)): client=\(name)[\(ip)]")
                    add(t + 1, "postfix/smtpd[\(2000 + i)]: disconnect from \(name)[\(ip)] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5")
                case .exim:
                    add(t, "1w\(String(queue, radix: 36))-000\(i % 10)Ab-Q\(i % 10) <= news@\(name) H=\(name) [\(ip)]:\(40000 + i) P=esmtps S=\(2000 + i * 7)")
                case .sendmail:
                    add(t, "sm-mta[\(3000 + i)]: 5AS\(String(queue, radix: 16, uppercase: true))0000: from=<news@\(name)>, size=\(2000 + i), class=0, nrcpts=1, proto=ESMTP, daemon=MTA, relay=\(name) [\(ip)]")
                default:
                    break
                }
            }
        }
        func unknownRecipients(_ ip: String, _ name: String, _ n: Int) {
            for i in 0..<n {
                let t = at()
                let rcpt = "user\(rng.next() % 100_000)@\(reporter.id).example"
                switch reporter.mta {
                case .postfix:
                    add(t, "postfix/smtpd[\(4000 + i)]: connect from \(name)[\(ip)]")
                    add(t, "postfix/smtpd[\(4000 + i)]: NOQUEUE: reject: RCPT from \(name)[\(ip)]: 550 5.1.1 <\(rcpt)>: Recipient address rejected: User unknown in local recipient table; from=<offers@\(name)> to=<\(rcpt)> proto=ESMTP helo=<\(name)>")
                case .exim:
                    add(t, "H=\(name) [\(ip)]:\(41000 + i) F=<offers@\(name)> rejected RCPT <\(rcpt)>: Unknown user")
                case .sendmail:
                    add(t, "sm-mta[\(5000 + i)]: 5AT\(String(i, radix: 16, uppercase: true))0\(String(queue, radix: 16)): ruleset=check_rcpt, arg1=<\(rcpt)>, relay=\(name) [\(ip)], reject=550 5.1.1 <\(rcpt)>... User unknown")
                default:
                    break
                }
            }
        }
        func rbl(_ ip: String, _ n: Int) {
            for i in 0..<n {
                let t = at()
                switch reporter.mta {
                case .postfix:
                    add(t, "postfix/smtpd[\(6000 + i)]: NOQUEUE: reject: RCPT from listed.example[\(ip)]: 554 5.7.1 Service unavailable; Client host [\(ip)] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/\(ip); from=<a@listed.example> to=<b@\(reporter.id).example> proto=ESMTP helo=<listed.example>")
                case .exim:
                    add(t, "H=listed.example [\(ip)] F=<a@listed.example> rejected RCPT <b@\(reporter.id).example>: rejected because \(ip) is in a black list at bl.spamcop.net")
                default:
                    break
                }
            }
        }
        func spamContent(_ ip: String, _ n: Int) {
            for i in 0..<n {
                let t = at()
                add(t, "postfix/smtpd[\(7000 + i)]: \(queueID(0x7E0_0000 + queue + i)): milter-reject: END-OF-MESSAGE from mail.clean-host.example[\(ip)]: 5.7.1 Spam message rejected; from=<news@clean-host.example> to=<c@\(reporter.id).example> proto=ESMTP helo=<mail.clean-host.example>")
            }
        }
        func passwordGuessing(_ ip: String, _ n: Int) {
            for i in 0..<n {
                let t = at()
                switch reporter.mta {
                case .postfix:
                    add(t, "postfix/smtpd[\(9000 + i)]: warning: unknown[\(ip)]: SASL LOGIN authentication failed: UGFzc3dvcmQ6")
                case .exim:
                    add(t, "dovecot_login authenticator failed for (hosted-mail.example) [\(ip)]:\(52000 + i): 535 Incorrect authentication data")
                default:
                    break
                }
            }
        }
        // Ordinary traffic everywhere.
        accepted(Self.goodServer, "mail.good-mail.example", 30 + Int(rng.next() % 10))
        for k in 0..<40 {
            let ip = "100.64.\(k / 20).\(k % 250 + 1)"
            switch reporter.mta {
            case .postfix: add(at(), "postfix/smtpd[\(8000 + k)]: connect from unknown[\(ip)]")
            case .exim: add(at(), "SMTP connection from [\(ip)]:\(30000 + k) (TCP/IP connection count = 1)")
            default: add(at(), "sm-mta[\(8000 + k)]: 5AU\(k)00000: lost input channel from [\(ip)] to MTA after rcpt")
            }
        }
        add(at(), reporter.mta == .exim ? "Start queue run: pid=123" : "CRON[99]: (root) CMD (run-parts /etc/cron.hourly)")
        switch reporter.id {
        case "isp-north":
            unknownRecipients(Self.dictionaryAttacker, "bulk.bulk-sender.example", 150)
            rbl(Self.blockListed, 40)
            accepted(Self.unregisteredSpammer, "unknown", 12)
            accepted(Self.falselyAccused, "mail.clean-host.example", 20)
            passwordGuessing(Self.passwordGuesser, 70)
        case "isp-south":
            unknownRecipients(Self.dictionaryAttacker, "bulk.bulk-sender.example", 150)
            rbl(Self.blockListed, 30)
            accepted(Self.falselyAccused, "mail.clean-host.example", 15)
            passwordGuessing(Self.passwordGuesser, 60)
        case "isp-east":
            unknownRecipients(Self.dictionaryAttacker, "bulk.bulk-sender.example", 100)
            unknownRecipients(Self.unregisteredSpammer, "unknown", 25)
        case "isp-west":
            spamContent(Self.falselyAccused, 60)
        default:
            break
        }
        let sorted = lines.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }
        return sorted.map(\.element.1).joined(separator: "\n") + "\n"
    }

    private func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    /// A Postfix short queue id: ten upper-case hex digits.
    private func queueID(_ n: Int) -> String {
        let hex = String(n, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 10 - hex.count)) + hex
    }
}

extension String {
    /// FNV-1a of the UTF-8 bytes: stable across runs (unlike `hashValue`).
    var hashValueStable: Int { Int(truncatingIfNeeded: FNV1a.hash(utf8) >> 1) }
}
