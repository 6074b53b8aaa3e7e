import Foundation
import Testing

/// A throwaway PKI made with `openssl` in `folder`: `ca.pem` (and `other-ca.pem`, which
/// signed nothing) and `server.pem`/`server.key` for 127.0.0.1, signed by `ca`, P-256,
/// valid two days.
public struct TestCertificates {
    public let folder: URL
    public var ca: String { folder.appendingPathComponent("ca.pem").path }
    public var otherCA: String { folder.appendingPathComponent("other-ca.pem").path }
    public var serverCertificate: String { folder.appendingPathComponent("server.pem").path }
    public var serverKey: String { folder.appendingPathComponent("server.key").path }

    public init(in folder: URL) throws {
        self.folder = folder
        let openssl = try Requirement.program("openssl", debianPackage: "openssl")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func run(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: openssl)
            process.arguments = arguments
            process.currentDirectoryURL = folder
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "openssl \(arguments.joined(separator: " "))")
        }
        for ca in ["ca", "other-ca"] {
            try run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(ca).key", "-out", "\(ca).pem", "-days", "2", "-subj", "/CN=\(ca)"])
        }
        try run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"])
        try Data("subjectAltName=IP:127.0.0.1\n".utf8).write(to: folder.appendingPathComponent("san.ext"))
        try run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext"])
    }
}
