import Glibc
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

    /// Network byte order both ways, as inet_pton(3) writes it: 4 bytes for IPv4, 16 for
    /// IPv6; other lengths are no address.
    @Test(arguments: ["192.0.2.1", "0.0.0.0", "255.255.255.255", "2001:db8::1", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::1:2:3:4"])
    func networkBytesAreInetPtonsBytes(text: String) throws {
        let ip = try #require(IPAddress(text))
        let isV4 = ip.family == .v4
        var expected = [UInt8](repeating: 0, count: isV4 ? 4 : 16)
        #expect(inet_pton(isV4 ? AF_INET : AF_INET6, text, &expected) == 1)
        #expect(ip.networkBytes == expected)
        #expect(IPAddress(networkBytes: expected) == ip)
    }

    @Test func otherLengthsAreNoAddress() {
        for count in [0, 3, 5, 15, 17] { #expect(IPAddress(networkBytes: [UInt8](repeating: 1, count: count)) == nil) }
    }
}
