import Foundation
import NIOSSL
import Primitives

/// The relay that carries the notices (FORMATS.md §9: `smtp_relay`, `smtp_username`,
/// `smtp_password_file`), and how to talk to it.
struct SMTPRelay: Sendable {
    var host: String
    var port: Int
    /// Our name in EHLO.
    var helo: String
    var username: String?
    var password: String?
    /// Check the relay's certificate after STARTTLS (against `caFile`, else the system's
    /// roots). Off only by configuration, for a relay on the same host.
    var verifyCertificate = true
    var caFile: String?
    var timeout: Duration = .seconds(60)

    /// `host:port`, `[v6]:port`.
    static func endpoint(_ text: String) -> (host: String, port: Int)? {
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
            guard IPAddress(String(host))?.family == .v6 else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            guard !host.isEmpty, !host.contains(":"),
                host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") })
            else { return nil }
        }
        guard let number = Int(port), (1...65535).contains(number) else { return nil }
        return (String(host), number)
    }

    var display: String { isIPAddress && host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    var isIPAddress: Bool { IPAddress(host) != nil }
    var isLoopback: Bool {
        if host == "localhost" { return true }
        guard let ip = IPAddress(host) else { return false }
        return ip.family == .v4 ? ip.description.hasPrefix("127.") : ip.description == "::1"
    }

    func tlsContext() throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile { tls.trustRoots = .file(caFile) }
        if !verifyCertificate { tls.certificateVerification = .none }
        return try NIOSSLContext(configuration: tls)
    }
}
