import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import Primitives

/// The ISP's side of the service (FORMATS.md §7.4, `ship`): uploads a file with its
/// `Content-Digest`, resumes after a broken connection (HEAD for the offset, PATCH the
/// rest), retries with capped exponential backoff on `429`, `503`, other `5xx` and network
/// errors, then waits for the file's outcome.
public final class LogShipper: Sendable {
    public struct Options: Sendable {
        public var url: String
        public var token: String
        public var caFile: String?
        /// Attempts per file before giving up (network errors, 429, 5xx).
        public var attempts = 12
        /// Backoff between attempts doubles from `firstBackoff` up to `maxBackoff`.
        public var firstBackoff: Duration = .milliseconds(500)
        public var maxBackoff: Duration = .seconds(60)
        /// How long to wait for a queued file's outcome.
        public var waitTimeout: Duration = .seconds(3600)
        public var chunkSize = 256 * 1024

        public init(url: String, token: String, caFile: String? = nil) {
            self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
            self.token = token
            self.caFile = caFile
        }
    }

    /// Why a file could not be shipped.
    public struct Failure: Error, CustomStringConvertible {
        public var file: String
        public var message: String
        /// The HTTP status that ended it, if one did.
        public var status: Int?
        public var description: String { "\(message) (\(file))" }
    }

    let options: Options
    let client: HTTPClient
    let logger: Logger

    public init(options: Options, logger: Logger = Logger(label: "abuse-ingest.ship")) throws {
        self.options = options
        self.logger = logger
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = options.caFile { tls.trustRoots = .file(ca) }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(300))
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async throws { try await client.shutdown() }

    /// The name a file is uploaded under: its base name with every other character as `_`.
    public static func uploadName(for path: String) -> String {
        let base = URL(fileURLWithPath: path).lastPathComponent
        var name = String(base.unicodeScalars.map { s -> Character in
            (s.isASCII && (CharacterSet.alphanumerics.contains(s) || s == "." || s == "_" || s == "-")) ? Character(s) : "_"
        })
        while name.hasPrefix(".") { name = "_" + name.dropFirst() }
        return String(name.prefix(200)).isEmpty ? "upload" : String(name.prefix(200))
    }

    /// Uploads `path` and waits for its outcome (the §7.1 status object).
    public func ship(_ path: String, progress: (@Sendable (String) -> Void)? = nil) async throws -> UploadDocument {
        let name = Self.uploadName(for: path)
        let size: Int64
        do {
            size = ((try FileManager.default.attributesOfItem(atPath: path))[.size] as? NSNumber)?.int64Value ?? 0
        } catch {
            throw Failure(file: path, message: "cannot read it: \(error.localizedDescription)")
        }
        let digest = try Self.sha256(path)
        let field = ContentDigest.field(digest)
        var backoff = options.firstBackoff
        var resume = false
        var lastProblem = ""
        for attempt in 1...options.attempts {
            do {
                let response = try await send(path: path, name: name, size: size, digest: field, resume: resume)
                switch response.status {
                case 202:
                    let sha = Hex.string(digest)
                    progress?("\(path): uploaded (\(size) bytes), waiting for ingest")
                    return try await outcome(sha256: sha, file: path)
                case 429, 503, 500...599:
                    lastProblem = "the registry answered \(response.status): \(response.message)"
                    let wait = response.retryAfter.map { Duration.seconds(min($0, 300)) } ?? backoff
                    logger.notice("will retry", metadata: ["file": "\(path)", "status": "\(response.status)", "wait": "\(wait)"])
                    try await Task.sleep(for: wait)
                    // Bytes a refused request carried are kept only when the server says so.
                    resume = response.status != 429
                case 409 where resume:
                    // The offset moved, or the broken request is still in flight at the
                    // registry: ask again after a pause.
                    lastProblem = "the registry answered 409: \(response.message)"
                    try await Task.sleep(for: backoff)
                default:
                    throw Failure(file: path, message: "the registry refused it (\(response.status)): \(response.message)", status: response.status)
                }
            } catch let failure as Failure {
                throw failure
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastProblem = "\(error)"
                logger.notice("connection broke; will resume", metadata: ["file": "\(path)", "attempt": "\(attempt)", "error": "\(error)"])
                resume = true
                try await Task.sleep(for: backoff)
            }
            backoff = min(backoff * 2, options.maxBackoff)
        }
        throw Failure(file: path, message: "gave up after \(options.attempts) attempts: \(lastProblem)")
    }

    struct Reply {
        var status: Int
        var message: String
        var retryAfter: Int64?
        var body: Data
    }

    /// One upload request: PUT of the whole file, or (`resume`) HEAD for the bytes held and
    /// PATCH of the rest.
    private func send(path: String, name: String, size: Int64, digest: String, resume: Bool) async throws -> Reply {
        var offset: Int64 = 0
        if resume {
            let head = try await request(.HEAD, "/v1/logs/\(name)")
            if head.status == 204, let held = head.headers.first(name: "Upload-Offset").flatMap({ Int64($0) }), held <= size { offset = held }
        }
        var request = HTTPClientRequest(url: options.url + "/v1/logs/\(name)")
        request.method = offset > 0 ? .PATCH : .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(options.token)")
        request.headers.add(name: "Repr-Digest", value: digest)
        if offset > 0 {
            request.headers.add(name: "Upload-Offset", value: "\(offset)")
            request.headers.add(name: "Upload-Complete", value: "?1")
        } else {
            request.headers.add(name: "Content-Digest", value: digest)
        }
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .stream(FileChunks(path: path, offset: offset, end: size, chunkSize: options.chunkSize), length: .known(size - offset))
        let response = try await client.execute(request, timeout: .hours(24))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Self.reply(response.status.code, response.headers, Data(buffer: body))
    }

    private func request(_ method: HTTPMethod, _ path: String) async throws -> (status: Int, headers: HTTPHeaders, body: Data) {
        var request = HTTPClientRequest(url: options.url + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(options.token)")
        let response = try await client.execute(request, timeout: .seconds(90))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), response.headers, Data(buffer: body))
    }

    static func reply(_ code: UInt, _ headers: HTTPHeaders, _ body: Data) -> Reply {
        let message = (try? JSONDecoder().decode([String: String].self, from: body))?["error"] ?? String(decoding: body.prefix(300), as: UTF8.self)
        return Reply(status: Int(code), message: message, retryAfter: headers.first(name: "Retry-After").flatMap { Int64($0) }, body: body)
    }

    /// Polls the upload's status until ingest has decided (ingested, duplicate, quarantined).
    private func outcome(sha256: String, file: String) async throws -> UploadDocument {
        let deadline = ContinuousClock.now + options.waitTimeout
        var pause: Duration = .milliseconds(100)
        var failures = 0
        while true {
            do {
                // A long poll: the registry answers as soon as ingest has decided.
                let reply = try await request(.GET, "/v1/logs/\(sha256)?wait=30")
                if reply.status == 200 {
                    let document = try JSONDecoder().decode(UploadDocument.self, from: reply.body)
                    if document.status != .queued, document.status != .ingesting { return document }
                } else if reply.status != 503 {
                    throw Failure(file: file, message: "cannot read the upload's status (\(reply.status))", status: reply.status)
                }
                failures = 0
            } catch let failure as Failure {
                throw failure
            } catch {
                failures += 1
                if failures > options.attempts { throw Failure(file: file, message: "cannot reach the registry for the outcome: \(error)") }
            }
            if ContinuousClock.now > deadline { throw Failure(file: file, message: "no outcome after \(options.waitTimeout); it is still queued at the registry") }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(2))
        }
    }

    static func sha256(_ path: String) throws -> [UInt8] {
        do {
            return try Digest.sha256Bytes(file: path).digest
        } catch {
            throw Failure(file: path, message: "cannot read it: \(error.localizedDescription)")
        }
    }
}
