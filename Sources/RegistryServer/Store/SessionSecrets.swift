import Crypto
import Foundation

/// The service's secrets (session ids, CSRF tokens, reporter tokens): random bytes from the
/// system's cryptographic generator, and their comparison in constant time.
enum SessionSecrets {
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// 256 random bits, base64url without padding.
    static func token() -> String {
        Data(randomBytes(32)).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// What the session table stores of a session id.
    static func digest(_ id: String) -> Data { Data(SHA256.hash(data: Data(id.utf8))) }

    /// Whether two strings are equal, in time that depends on their lengths only.
    static func equal(_ a: String, _ b: String) -> Bool { equal(Array(a.utf8), Array(b.utf8)) }

    /// Whether two byte strings are equal, in time that depends on their lengths only.
    static func equal(_ x: [UInt8], _ y: [UInt8]) -> Bool {
        guard x.count == y.count, !x.isEmpty else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    /// The value of cookie `name` in a `Cookie` header.
    static func cookie(_ name: String, in header: String?) -> String? {
        guard let header, header.utf8.count <= 8192 else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == name {
                return pair[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}
