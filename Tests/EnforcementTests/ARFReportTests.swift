import EnforcementEngine
import Evidence
import Foundation
import TestSupport
import Testing

/// The ARF report read by an independent parser: Python's `email` package with
/// `policy.strict`. A hostile HELO or sender carrying `\r\nBcc: x@y` never becomes a header.
struct ARFReportTests {
    static let checker = """
        import email, email.policy, sys
        data = open(sys.argv[1], 'rb').read()
        m = email.message_from_bytes(data, policy=email.policy.strict)
        assert m.get_content_type() == 'multipart/report', m.get_content_type()
        assert m.get_param('report-type') == 'feedback-report'
        assert m['To'].addresses[0].addr_spec == 'abuse@bulk-sender.example', m['To']
        parts = list(m.iter_parts())
        assert [p.get_content_type() for p in parts] == ['text/plain', 'message/feedback-report', 'text/plain'], [p.get_content_type() for p in parts]
        payload = parts[1].get_payload()
        fields = payload[0] if isinstance(payload, list) else email.message_from_string(payload)
        for name in ['Feedback-Type', 'User-Agent', 'Version', 'Source-IP', 'Arrival-Date', 'Reporting-MTA', 'Incidents']:
            assert fields[name] is not None, name
        assert fields['Feedback-Type'] == 'abuse' and fields['Version'] == '1' and fields['Source-IP'] == '198.51.100.20'
        def walk(msg):
            yield msg
            p = msg.get_payload()
            if isinstance(p, list):
                for sub in p:
                    yield from walk(sub)
        for part in walk(m):
            assert part['Bcc'] is None, 'a Bcc header appeared'
        excerpts = parts[2].get_payload(decode=True)
        assert b'Bcc: x@y' in excerpts, 'the hostile text stays, as data'
        print('ok')
        """

    @Test func isAValidFeedbackReportThatNoLogTextCanBreak() throws {
        try Requirement.python()
        let hostile = Array("Nov 28 01:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[198.51.100.20]: 550 5.1.1 <a@b>: User unknown; from=<s\r\nBcc: x@y> to=<a@b> proto=ESMTP helo=<evil\r\nBcc: x@y>".utf8)
        let input = ARFReport.Input(
            caseID: "C-2026-000001", subjectIP: "198.51.100.20", ruleID: "registered-dictionary-attack", ruleDescription: "list washing\r\nBcc: x@y",
            abuseContact: "abuse@bulk-sender.example", registrant: "R-000124", opened: 1_795_910_400_000, windowStart: 1_795_824_000_000,
            windowEnd: 1_795_910_400_000, incidents: 400, figures: ["isp-north": ["rejected": 150]], excerpts: [("isp-north", [hostile, Array("plain ümlaut line".utf8)])],
            registryDomain: "registry.example")
        let data = ARFReport.render(input)
        #expect(ARFReport.render(input) == data, "deterministic")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-ingest-arf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("report.eml")
        try data.write(to: file)
        let (status, output) = try PythonCheck.run(script: Self.checker, arguments: [file.path])
        #expect(status == 0, "python email check: \(output)")
        #expect(output.contains("ok"))
    }
}
