import Demo
import EnforcementEngine
/// A deterministic Postfix night with realistic traffic: postscreen and smtpd
/// connections, rejects of every reason, SASL failures, deliveries through cleanup, qmgr
/// and smtp/local, and other daemons' lines interleaved, over many distinct clients.
struct SyntheticPostfixLog {
    var seed: UInt64 = 42
    var clients = 200_000
    var host = "mx1"

    /// Calls `write` with lines (each ending in `\n`) until `lines` lines were written.
    func generate(lines: Int, write: (String) -> Void) {
        var rng = SplitMix64(seed: seed)
        var written = 0
        var second = 0
        var pid = 1000
        var queueCounter: UInt64 = 0x1A2B3C
        func stamp() -> String {
            let s = second * 86_400 / max(lines, 1)  // the lines spread over one day
            let hour = (s / 3600) % 24
            let minute = (s / 60) % 60
            let sec = s % 60
            return "Nov 28 \(pad(hour)):\(pad(minute)):\(pad(sec)) \(host) "
        }
        func emit(_ text: String) {
            guard written < lines else { return }
            write(stamp() + text + "\n")
            written += 1
            second += 1
        }
        while written < lines {
            let n = Int(rng.next() % UInt64(clients))
            // Shared address space (100.64.0.0/10): room for 4 M distinct clients, none of them real.
            let ip = "100.\(64 + (n >> 16) & 63).\((n >> 8) & 255).\(n & 255)"
            let name = n % 3 == 0 ? "unknown" : "mail\(n).example\(n % 97).net"
            pid = 1000 + Int(rng.next() % 60_000)
            let roll = rng.next() % 100
            switch roll {
            case 0..<8:
                // postscreen front
                emit("postfix/postscreen[\(pid)]: CONNECT from [\(ip)]:\(40000 + n % 20000) to [192.0.2.1]:25")
                if roll < 2 {
                    emit("postfix/postscreen[\(pid)]: PREGREET 14 after 0.08 from [\(ip)]:\(40000 + n % 20000): EHLO ylmf-pc\\r\\n")
                } else if roll < 4 {
                    emit("postfix/postscreen[\(pid)]: DNSBL rank 3 for [\(ip)]:\(40000 + n % 20000)")
                    emit("postfix/postscreen[\(pid)]: NOQUEUE: reject: RCPT from [\(ip)]:\(40000 + n % 20000): 550 5.7.1 Service unavailable; client [\(ip)] blocked using zen.spamhaus.org; from=<a\(n)@spam.example>, to=<user\(n % 500)@isp.example>, proto=ESMTP, helo=<spam\(n).example>")
                } else if roll < 5 {
                    emit("postfix/postscreen[\(pid)]: HANGUP after 2.1 from [\(ip)]:\(40000 + n % 20000) in tests after SMTP handshake")
                } else {
                    emit("postfix/postscreen[\(pid)]: PASS OLD [\(ip)]:\(40000 + n % 20000)")
                }
            case 8..<14:
                emit("dovecot: imap-login: Login: user=<u\(n)@isp.example>, method=PLAIN, rip=\(ip), lip=192.0.2.1, mpid=\(pid), TLS")
            case 14..<16:
                emit("CRON[\(pid)]: (root) CMD (   test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily ))")
            case 16..<18:
                emit("kernel: [\(n).123456] [UFW BLOCK] IN=eth0 OUT= MAC=00:00 SRC=\(ip) DST=192.0.2.1 LEN=40 PROTO=TCP SPT=\(n % 65535) DPT=23")
            default:
                emit("postfix/smtpd[\(pid)]: connect from \(name)[\(ip)]")
                let what = rng.next() % 100
                if what < 45 {
                    // A delivered message.
                    queueCounter &+= 0x1F3
                    let queue = String(queueCounter, radix: 16, uppercase: true)
                    emit("postfix/smtpd[\(pid)]: \(queue): client=\(name)[\(ip)]")
                    emit("postfix/cleanup[\(pid + 1)]: \(queue): message-id=<\(n).\(written)@example\(n % 97).net>")
                    emit("postfix/qmgr[812]: \(queue): from=<news\(n)@example\(n % 97).net>, size=\(2000 + n % 50000), nrcpt=1 (queue active)")
                    emit("postfix/local[\(pid + 2)]: \(queue): to=<user\(n % 500)@isp.example>, relay=local, delay=0.4, delays=0.1/0/0/0.3, dsn=2.0.0, status=sent (delivered to mailbox)")
                    emit("postfix/qmgr[812]: \(queue): removed")
                    emit("postfix/smtpd[\(pid)]: disconnect from \(name)[\(ip)] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5")
                } else if what < 80 {
                    let reject = Self.rejects[Int(rng.next() % UInt64(Self.rejects.count))]
                    let text = reject.replacingOccurrences(of: "{ip}", with: ip)
                    emit("postfix/smtpd[\(pid)]: NOQUEUE: reject: RCPT from \(name)[\(ip)]: \(text); from=<s\(n)@sender\(n % 89).example> to=<user\(n % 700)@isp.example> proto=ESMTP helo=<\(n % 3 == 0 ? "[\(ip)]" : "mail\(n).example\(n % 97).net")>")
                    emit("postfix/smtpd[\(pid)]: disconnect from \(name)[\(ip)] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4")
                } else if what < 92 {
                    emit("postfix/smtpd[\(pid)]: warning: \(name)[\(ip)]: SASL LOGIN authentication failed: UGFzc3dvcmQ6")
                    emit("postfix/smtpd[\(pid)]: lost connection after AUTH from \(name)[\(ip)]")
                    emit("postfix/smtpd[\(pid)]: disconnect from \(name)[\(ip)] ehlo=1 auth=0/1 commands=1/2")
                } else {
                    emit("postfix/smtpd[\(pid)]: lost connection after CONNECT from \(name)[\(ip)]")
                    emit("postfix/smtpd[\(pid)]: disconnect from \(name)[\(ip)] commands=0/0")
                }
            }
        }
    }

    static let rejects = [
        "550 5.1.1 <user@isp.example>: Recipient address rejected: User unknown in local recipient table",
        "554 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/{ip}",
        "554 5.7.1 <x@elsewhere.example>: Relay access denied",
        "450 4.7.1 <bad>: Helo command rejected: Host not found",
        "450 4.7.25 Client host rejected: cannot find your hostname, [{ip}]",
        "553 5.7.1 <s@sender.example>: Sender address rejected: Domain not found",
        "450 4.2.0 <user@isp.example>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/isp.example.html",
        "554 5.7.1 <user@isp.example>: Recipient address rejected: Access denied",
    ]
}

private func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
