import LogParsers
import Testing

/// The client is the TCP peer as the MTA logged it, never an address from a HELO name,
/// a sender or message text.
struct PeerAttributionTests {
    @Test(arguments: [
        // Postfix: a forged bracketed HELO and an address in the reply text.
        (
            "Nov 28 01:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[203.0.113.7]: 554 5.7.1 <x@[1.2.3.4]>: Relay access denied; from=<a@[5.6.7.8]> to=<x@[1.2.3.4]> proto=ESMTP helo=<[9.9.9.9]>",
            "203.0.113.7"
        ),
        // Exim: HELO `([1.2.3.4])` before the real peer.
        ("2026-11-28 01:00:00 H=([1.2.3.4]) [203.0.113.8]:5000 F=<a@b> rejected RCPT <c@d>: Unknown user", "203.0.113.8"),
        // Exim: an injected `H=` inside the quoted command.
        ("2026-11-28 01:00:00 SMTP protocol error in \"AUTH H=(x) [6.6.6.6]\" H=(y) [203.0.113.9] AUTH command used when not advertised", "203.0.113.9"),
        // Sendmail: a `relay=` inside arg1.
        ("Nov 28 01:00:00 mx sm-mta[1]: 5ASB000001: ruleset=check_rcpt, arg1=<a@b, relay=[6.6.6.6]>, relay=[203.0.113.10], reject=550 5.1.1 <a@b>... User unknown", "203.0.113.10"),
        // Sendmail AUTH failure with an injected relay in the user name.
        ("Nov 28 01:00:00 mx sendmail[1]: 5ASB000002: AUTH failure (LOGIN): authentication failure (-13), user=x, relay=[6.6.6.6], relay=[203.0.113.11] (may be forged)", "203.0.113.11"),
        // IPv4-mapped IPv6 and a port.
        ("Nov 28 01:00:00 mx postfix/smtpd[1]: lost connection after CONNECT from unknown[::ffff:203.0.113.12]:40000", "203.0.113.12"),
        // IPv6 with a port, written in upper case: canonical form out.
        ("Nov 28 01:00:00 mx postfix/smtpd[1]: connect from unknown[2001:DB8:0:0::A]", "2001:db8::a"),
    ])
    func attributesTheTCPPeer(line: String, expected: String) throws {
        let (events, _) = try EventCollector.parse(text: line + "\n")
        #expect(events.count == 1, "one event from: \(line)")
        #expect(events.first?.clientIP?.description == expected, "client of: \(line)")
    }

    @Test func cleanupRejectUsesTheQueueIDsClientNotHeaderText() throws {
        let log = """
            Nov 28 01:04:00 mx postfix/smtpd[1]: 9A8B7C6D5E: client=relay.example.org[198.51.100.20]
            Nov 28 01:04:01 mx postfix/cleanup[2]: 9A8B7C6D5E: reject: header Subject: x from evil[6.6.6.6]; from=<a> to=<b> from relay.example.org[7.7.7.7]; from=<p@example.org> to=<b@isp.example> proto=ESMTP helo=<h>: 5.7.1 message content rejected

            """
        let (events, _) = try EventCollector.parse(text: log)
        let reject = events.first { $0.kind == .rejected }
        #expect(reject?.clientIP?.description == "198.51.100.20")
        #expect(reject?.reason == .spamContent)
    }

    @Test func sendmailRefusalsWaitForTheirClient() throws {
        let log = """
            Nov 28 03:00:07 mx sm-mta[7]: 5ASB0000A00207: <a@isp.example>... User unknown
            Nov 28 03:00:07 mx sm-mta[7]: 5ASB0000A00207: <b@isp.example>... User unknown
            Nov 28 03:00:07 mx sm-mta[7]: 5ASB0000A00299: <c@isp.example>... User unknown
            Nov 28 03:00:08 mx sm-mta[7]: 5ASB0000A00207: from=<x@spam.example>, size=0, class=0, nrcpts=0, proto=ESMTP, daemon=MTA, relay=washer.example [203.0.113.27]
            Nov 28 03:00:09 mx sm-mta[7]: 5ASB0000A00300: from=<y@example.net>, size=0, class=0, nrcpts=0, proto=ESMTP, daemon=MTA, relay=[203.0.113.28]

            """
        let (events, summary) = try EventCollector.parse(text: log)
        #expect(events.map(\.recipient) == ["a@isp.example", "b@isp.example"])
        #expect(events.allSatisfy { $0.clientIP?.description == "203.0.113.27" && $0.source.line == 4 && $0.reason == .unknownRecipient })
        #expect(summary.unresolved == 1, "the refusal of queue 5ASB0000A00299 never learns its client")
    }

    @Test func openSMTPDSessionsCarryTheirAddress() throws {
        let log = """
            Nov 28 04:00:00 mx smtpd[3]: 0123456789abcdef smtp connected address=203.0.113.30 host=x
            Nov 28 04:00:01 mx smtpd[3]: fedcba9876543210 smtp connected address=203.0.113.31 host=y
            Nov 28 04:00:02 mx smtpd[3]: 0123456789abcdef smtp failed-command command="RCPT TO:<n@isp.example>" result="550 Invalid recipient: <n@isp.example>"

            """
        let (events, _) = try EventCollector.parse(text: log)
        #expect(events.last?.clientIP?.description == "203.0.113.30")
        #expect(events.last?.reason == .unknownRecipient)
    }
}
