import Primitives
import Testing

@testable import LogParsers

struct IPAddressTests {
    @Test(arguments: [
        ("192.0.2.1", "192.0.2.1"),
        ("::ffff:1.2.3.4", "1.2.3.4"),
        ("IPv6:2001:DB8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("::", "::"),
        ("::1", "::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("2001:db8::", "2001:db8::"),
    ])
    func writesCanonicalText(input: String, expected: String) {
        #expect(IPAddress(input)?.description == expected, "\(input) should print as \(expected)")
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1:2:3:4:5:6:7:8:9", "::1::2", "gggg::", "1.2.3.4:25", "[1.2.3.4]"])
    func rejectsMalformedAddresses(input: String) {
        #expect(IPAddress(input) == nil, "\(input) must not parse as an address")
    }
}
