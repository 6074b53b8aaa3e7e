import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The HTTP routes of FORMATS.md §7.1 and §7.2 over the intake, the public lookups and the
/// service's health.
struct Routes: Sendable {
    let intake: LogIntake
    let store: ServiceStore
    let readiness: Readiness
    let metrics: ServerMetrics
    let rdap: RDAPLookup
    let rdapLimiter = RateLimiter()
    let settings: LiveSettings
    let draining: Draining
    let logger: Logger
    let staffWeb: StaffWeb

    func router() -> Router<ServerContext> {
        let router = Router(context: ServerContext.self)
        router.add(middleware: DrainingMiddleware(draining: draining))
        router.get("/healthz") { _, _ in Self.response(.document(200, ["status": "ok"])) }
        router.get("/readyz") { _, _ in
            let report = readiness.report()
            return Self.response(.document(report.ready ? 200 : 503, report))
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.text())))
        }
        router.get("/rdap/ip/:addr") { _, context in
            guard rdapLimiter.allow(context.clientAddress, perMinute: settings.current.rdapPerMinute) else {
                var answer = rdap.rdapError(429, "Too many requests", "at most \(settings.current.rdapPerMinute) lookups a minute per client address")
                answer.headers["Retry-After"] = "60"
                return Self.response(answer)
            }
            return Self.response(rdap.answer(context.parameters.get("addr") ?? ""))
        }
        router.put("/v1/logs/:name") { request, context in await upload(request, context, resuming: false) }
        router.patch("/v1/logs/:name") { request, context in await upload(request, context, resuming: true) }
        router.head("/v1/logs/:name") { request, context in
            guard let reporter = authenticate(request) else { return unauthorized() }
            return Self.response(intake.head(name: context.parameters.get("name") ?? "", reporter: reporter))
        }
        // One parameter name for the path: on GET it is the upload's SHA-256.
        router.get("/v1/logs/:name") { request, context in
            guard let reporter = authenticate(request) else { return unauthorized() }
            return Self.response(
                await intake.status(sha256: context.parameters.get("name") ?? "", reporter: reporter, wait: request.uri.queryParameters.get("wait").map { String($0) }))
        }
        router.get("/v1/logs") { request, _ in
            guard let reporter = authenticate(request) else { return unauthorized() }
            return Self.response(intake.list(since: request.uri.queryParameters.get("since"), reporter: reporter))
        }
        staffWeb.add(to: router)
        return router
    }

    /// PUT (the whole file) or PATCH (the rest of an interrupted upload). A refused body
    /// closes the connection, so that the bytes the client still sends are not read.
    func upload(_ request: Request, _ context: ServerContext, resuming: Bool) async -> Response {
        guard let reporter = authenticate(request) else { return unauthorized() }
        let name = context.parameters.get("name") ?? ""
        let proceed: @Sendable () -> Void = { Self.continueIfExpected(request, context) }
        let answer = await draining.tracking(context.channel) {
            resuming
                ? await intake.patch(name: name, reporter: reporter, headers: Self.headers(request), body: request.body, proceed: proceed)
                : await intake.put(name: name, reporter: reporter, headers: Self.headers(request), body: request.body, proceed: proceed)
        }
        return Self.response(answer, closing: answer.status >= 400 && answer.status != 409)
    }

    /// The reporter a request's bearer token belongs to.
    func authenticate(_ request: Request) -> String? {
        guard let field = request.headers[.authorization], field.count < 512, field.lowercased().hasPrefix("bearer ") else { return nil }
        let token = field.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        do {
            return try store.authenticate(token, now: intake.clock.nowMillis())
        } catch {
            logger.error("cannot check a token", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Unknown, revoked and expired tokens alike (FORMATS.md §7.1). The body of an upload
    /// is not read: the connection is closed after the answer.
    func unauthorized() -> Response {
        metrics.unauthorized()
        var response = Self.response(.error(401, "a valid bearer token is needed (Authorization: Bearer <token>)"), closing: true)
        response.headers[.wwwAuthenticate] = "Bearer realm=\"abuse-ingest\""
        return response
    }

    /// `Expect: 100-continue` (curl sends it for bodies over 1 MiB, then waits a second):
    /// an upload that passed every check needing no body is told to go on at once; the
    /// refusals (401, 413 by Content-Length, 429, 507) are answered instead, before the body
    /// is sent.
    static func continueIfExpected(_ request: Request, _ context: ServerContext) {
        guard request.headers[.expect]?.lowercased() == "100-continue" else { return }
        context.channel.writeAndFlush(HTTPResponsePart.head(HTTPResponse(status: .continue)), promise: nil)
    }

    static func headers(_ request: Request) -> LogIntake.Headers {
        let h = request.headers
        return LogIntake.Headers(
            contentLength: h[.contentLength].flatMap { Int64($0) }, contentDigest: h[HTTPField.Name("Content-Digest")!],
            reprDigest: h[HTTPField.Name("Repr-Digest")!], uploadOffset: h[HTTPField.Name("Upload-Offset")!],
            uploadComplete: h[HTTPField.Name("Upload-Complete")!])
    }

    static func response(_ answer: IntakeAnswer, closing: Bool = false) -> Response {
        var headers = HTTPFields()
        if answer.json != nil, answer.headers["Content-Type"] == nil { headers[.contentType] = "application/json" }
        for (name, value) in answer.headers.sorted(by: { $0.key < $1.key }) {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        if closing { headers[.connection] = "close" }
        headers[.cacheControl] = "no-store"
        let body = answer.json.map { ResponseBody(byteBuffer: ByteBuffer(string: $0 + "\n")) } ?? ResponseBody()
        return Response(status: HTTPResponse.Status(code: answer.status), headers: headers, body: body)
    }
}

/// Set when the process is stopping: new requests are answered `503` with `Retry-After`.
/// Keeps the connections that carry upload bodies, so that a stop can cut the ones that
/// stall (their bytes are kept for a resume).
final class Draining: Sendable {
    private let flag = Atomic(false)
    private let uploads = Mutex<[ObjectIdentifier: any Channel]>([:])

    var isDraining: Bool { flag.load(ordering: .relaxed) }
    func start() { flag.store(true, ordering: .relaxed) }

    /// Runs an upload's handling with its connection known.
    func tracking<T>(_ channel: any Channel, _ body: () async -> T) async -> T {
        let key = ObjectIdentifier(channel)
        uploads.withLock { $0[key] = channel }
        defer { _ = uploads.withLock { $0.removeValue(forKey: key) } }
        return await body()
    }

    /// Closes the connections of the uploads still in flight.
    func cutUploads() -> Int {
        let channels = uploads.withLock { Array($0.values) }
        for channel in channels { channel.close(promise: nil) }
        return channels.count
    }
}

struct DrainingMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let draining: Draining

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        if draining.isDraining {
            var response = Routes.response(.error(503, "the registry is restarting; try again shortly", headers: ["Retry-After": "30"]), closing: true)
            response.headers[.connection] = "close"
            return response
        }
        return try await next(request, context)
    }
}
