import ArgumentParser
import Foundation
import Logging
import RegistryServer

extension AbuseIngestCommand {
    struct Ship: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ship", 
            abstract: "The ISP's side: upload logs to a registry's serve and wait for each file's outcome.",
            discussion: """
                Each file is uploaded under its base name with its SHA-256 (Content-Digest); a broken \
                connection is resumed where the registry's copy ends, and 429, 503, other 5xx answers and \
                network errors are retried with capped backoff. Then it waits until the registry has \
                ingested, recognised as duplicate, or quarantined each file, and prints the outcome.
                The token file holds the reporter's token (abuse-ingest reporters token create) and must \
                not be readable by group or others.
                Exit codes are ingest's: 0 every file ingested or duplicate, 3 some file quarantined, \
                1 some file not shipped, 2 usage or configuration error.
                """
        )

        @Option(help: "The registry's base URL, e.g. https://registry.example.org.") var url: String
        @Option(name: .customLong("token-file"), help: "File holding the bearer token (mode 0600).") var tokenFile: String
        @Option(name: .customLong("ca-file"), help: "PEM CA certificates to trust instead of the system's.") var caFile: String?
        @Option(help: "Files uploaded at the same time.") var parallel = 2
        @Option(help: "Give up on a file after this many attempts.") var attempts = 12
        @Flag(help: "Print one JSON status object per file (FORMATS.md §7.1, with \"file\").") var json = false
        @Argument(help: "Log files (plain or compressed).") var files: [String]

        func validate() throws {
            guard url.hasPrefix("http://") || url.hasPrefix("https://"), URL(string: url)?.host != nil else {
                throw ValidationError("--url '\(url)' must be an http:// or https:// URL")
            }
            guard (1...16).contains(parallel) else { throw ValidationError("--parallel must be 1…16") }
            guard (1...100).contains(attempts) else { throw ValidationError("--attempts must be 1…100") }
            guard !files.isEmpty else { throw ValidationError("name at least one file to ship") }
        }

        /// The token, after checking that nobody else can read the file.
        func readToken() throws -> String {
            var info = stat()
            guard stat(tokenFile, &info) == 0 else {
                Terminal.reportError("cannot read the token file \(tokenFile): \(String(cString: strerror(errno)))")
                throw ExitStatus.usage
            }
            if info.st_mode & 0o077 != 0 {
                Terminal.reportError(
                    "the token file \(tokenFile) is readable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))): chmod 600 \(tokenFile)")
                throw ExitStatus.usage
            }
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8),
                let token = text.split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }), !token.isEmpty
            else {
                Terminal.reportError("the token file \(tokenFile) holds no token")
                throw ExitStatus.usage
            }
            return token
        }

        struct Result: Encodable {
            var file: String
            var document: UploadDocument?
            var error: String?

            func encode(to encoder: any Encoder) throws {
                if let document { try document.encode(to: encoder) }
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(file, forKey: .file)
                if document == nil {
                    try c.encode("failed", forKey: .status)
                    try c.encode(error, forKey: .error)
                    try c.encode(LogShipper.uploadName(for: file), forKey: .name)
                }
            }
            enum Keys: String, CodingKey { case file, status, error, name }
        }

        func run() async throws {
            var options = LogShipper.Options(url: url, token: try readToken(), caFile: caFile)
            options.attempts = attempts
            let shipper = try LogShipper(options: options)
            var progress: (@Sendable (String) -> Void)?
            if Terminal.stderrIsTerminal { progress = { text in Terminal.error("abuse-ingest: " + text) } }
            let report = progress
            let files = self.files
            let parallel = self.parallel
            var results = [Result?](repeating: nil, count: files.count)
            await withTaskGroup(of: (Int, Result).self) { group in
                var next = 0
                func start() {
                    let index = next
                    next += 1
                    group.addTask {
                        do {
                            return (index, Result(file: files[index], document: try await shipper.ship(files[index], progress: report)))
                        } catch {
                            return (index, Result(file: files[index], error: "\(error)"))
                        }
                    }
                }
                while next < min(parallel, files.count) { start() }
                for await (index, result) in group {
                    results[index] = result
                    if next < files.count { start() }
                }
            }
            try? await shipper.shutdown()
            var failed = false
            var quarantined = false
            for result in results.compactMap({ $0 }) {
                if json {
                    print(try JSONText.encode(result))
                } else if let d = result.document {
                    var line = "\(result.file): \(d.status.rawValue) (\(d.sha256))"
                    if d.status == .ingested { line += ", \(d.lines) lines, \(d.events) events, \(d.unparsed) unparsed" }
                    print(line)
                    if let error = d.error, d.status == .quarantined { Terminal.reportError("\(error) (\(result.file))") }
                } else {
                    Terminal.reportError(result.error ?? "not shipped (\(result.file))")
                }
                if result.document == nil { failed = true }
                if result.document?.status == .quarantined { quarantined = true }
            }
            if failed { throw ExitStatus.failure }
            if quarantined { throw ExitStatus.rejectedInput }
        }
    }
}
