import EnforcementEngine
import Evidence
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import NIOCore
import NIOPosix
import Primitives

/// The staff review UI (FORMATS.md §7.3): login with bcrypt and TOTP, server-side sessions
/// with a CSRF token each, the queue, case pages and decisions, addresses, reporters and
/// their tokens, rules, the audit log and staff accounts. Pages are rendered on the server
/// from mustache templates and need no JavaScript.
struct StaffWeb: Sendable {
    let store: ServiceStore
    let accounts: StaffAccounts
    let enforcement: Enforcement
    let exporter: EvidenceExporter
    let verifier: EvidenceVerifier
    let rules: RuleBook
    let settings: LiveSettings
    let library: MustacheLibrary
    let throttle = LoginThrottle()
    let evidence = CaseEvidenceCache()
    /// Cookies get `Secure` when the service speaks TLS.
    let secureCookies: Bool
    let logger: Logger

    static let sessionCookie = "abuse_session"
    static let loginCookie = "abuse_login"
    static let maxFormBytes = 64 * 1024

    init(
        store: ServiceStore, enforcement: Enforcement, key: RegistryKey, rules: RuleBook, settings: LiveSettings, secureCookies: Bool, logger: Logger
    ) throws {
        self.store = store
        accounts = StaffAccounts(store: store, logger: logger)
        self.enforcement = enforcement
        exporter = EvidenceExporter(store: store.engine, dataFolder: enforcement.dataFolder, key: key)
        verifier = EvidenceVerifier(publicKey: key.privateKey.publicKey, archiveFolder: enforcement.dataFolder)
        self.rules = rules
        self.settings = settings
        library = try PageTemplates.library()
        self.secureCookies = secureCookies
        self.logger = logger
    }

    var now: Int64 { enforcement.clock.nowMillis() }

    func add(to router: Router<ServerContext>) {
        router.get("/static/style.css") { _, _ in
            WebPage.file(Data(Stylesheet.css.utf8), contentType: "text/css; charset=utf-8", headers: [(.cacheControl, "max-age=3600")])
        }
        router.get("/login") { request, _ in loginPage(request) }
        router.post("/login") { request, context in await login(request, context) }
        router.post("/logout") { request, context in
            await withStaff(request, context, form: true) { visit, _ in
                try store.endSession(idSHA256: visit.session.idSHA256, actor: visit.member.name, reason: "logged out", now: now)
                return WebPage.redirect("/login?out=1", cookies: [expiredCookie(Self.sessionCookie, path: "/")])
            }
        }
        router.get("/") { request, context in await withStaff(request, context) { visit, _ in try queuePage(request, visit) } }
        router.get("/cases/:id") { request, context in
            await withStaff(request, context) { visit, _ in try casePage(context.parameters.get("id") ?? "", visit, flash: doneMessage(request)) }
        }
        router.post("/cases/:id/:decision") { request, context in
            await withStaff(request, context, form: true) { visit, form in
                try await decide(context.parameters.get("id") ?? "", action: context.parameters.get("decision") ?? "", form: form, visit: visit, context: context)
            }
        }
        router.get("/cases/:id/bundle.zip") { request, context in
            await withStaff(request, context) { _, _ in try bundleZip(context.parameters.get("id") ?? "") }
        }
        router.get("/ips/:ip") { request, context in await withStaff(request, context) { visit, _ in try ipPage(context.parameters.get("ip") ?? "", visit) } }
        router.get("/reporters") { request, context in await withStaff(request, context) { visit, _ in try reportersPage(visit, flash: nil, newToken: nil) } }
        router.post("/reporters/:id/tokens") { request, context in
            await withStaff(request, context, admin: true, form: true) { visit, form in try createToken(context.parameters.get("id") ?? "", form: form, visit: visit) }
        }
        router.post("/reporters/:id/tokens/:token/revoke") { request, context in
            await withStaff(request, context, admin: true, form: true) { visit, _ in
                try revokeToken(context.parameters.get("id") ?? "", token: context.parameters.get("token") ?? "", visit: visit)
            }
        }
        router.get("/rules") { request, context in await withStaff(request, context) { visit, _ in try rulesPage(visit) } }
        router.get("/audit") { request, context in await withStaff(request, context) { visit, _ in try auditPage(request, visit) } }
        router.get("/staff") { request, context in
            await withStaff(request, context, admin: true) { visit, _ in try staffPage(visit, added: nil, flash: nil, error: nil) }
        }
        router.post("/staff") { request, context in await withStaff(request, context, admin: true, form: true) { visit, form in try await addStaff(form, visit: visit) } }
        router.post("/staff/:name/disable") { request, context in
            await withStaff(request, context, admin: true, form: true) { visit, _ in try disableStaff(context.parameters.get("name") ?? "", visit: visit) }
        }
    }

    // MARK: Sessions

    /// A request's logged-in staff member and session.
    struct Visit: Sendable {
        var member: StaffMember
        var session: StaffSession
        var isAdmin: Bool { member.isAdmin }
    }

    /// Runs `body` for a logged-in staff member: no session (or an expired one) goes to the
    /// login page; a reviewer on an admin page gets `403` (logged); a POST's form must carry
    /// the session's CSRF token (else `403`).
    func withStaff(
        _ request: Request, _ context: ServerContext, admin: Bool = false, form wantsForm: Bool = false,
        _ body: (Visit, FormFields) async throws -> Response
    ) async -> Response {
        do {
            guard let id = SessionSecrets.cookie(Self.sessionCookie, in: request.headers[.cookie]), id.utf8.count <= 100,
                let (session, member) = try store.session(idSHA256: SessionSecrets.digest(id))
            else { return WebPage.redirect("/login") }
            let time = now
            let config = settings.current
            let expired: String? =
                if member.disabledAt != nil { "the account is disabled" }
                else if time - session.createdAt > config.sessionLifetime.millis { "the session reached its \(Self.span(config.sessionLifetime.millis)) limit" }
                else if time - session.lastSeenAt > config.sessionIdle.millis { "the session was idle over \(Self.span(config.sessionIdle.millis))" }
                else { nil }
            if let expired {
                try store.endSession(idSHA256: session.idSHA256, actor: member.name, reason: "session ended: \(expired)", now: time)
                return WebPage.redirect("/login?expired=1", cookies: [expiredCookie(Self.sessionCookie, path: "/")])
            }
            // Written at most every tenth of the idle limit (and every 30 s at most).
            if time - session.lastSeenAt > min(30_000, config.sessionIdle.millis / 10) { try store.touchSession(idSHA256: session.idSHA256, at: time) }
            let visit = Visit(member: member, session: session)
            if admin, !member.isAdmin { return try forbidden(visit, context, what: "\(request.method.rawValue) \(request.uri.path)") }
            var form = FormFields(Substring(""))
            if wantsForm {
                guard let data = try await Self.body(request) else { return message(.contentTooLarge, "Too large", "The form is larger than \(Self.maxFormBytes / 1024) KiB.", visit: visit) }
                form = FormFields(data)
                guard let token = form["csrf_token"], SessionSecrets.equal(token, session.csrfToken) else {
                    logger.warning("staff POST without a valid CSRF token", metadata: ["staff": "\(member.name)", "path": "\(request.uri.path)", "client": "\(context.clientAddress)"])
                    return message(.forbidden, "Refused", "The form's security token is missing or wrong. Reload the page and try again.", visit: visit)
                }
            }
            return try await body(visit, form)
        } catch {
            logger.error("staff page failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return message(.internalServerError, "Something went wrong", "The page could not be built; the reason is in the service's log.", visit: nil)
        }
    }

    /// A reviewer on an admin action: `403`, logged and audited.
    func forbidden(_ visit: Visit, _ context: ServerContext, what: String) throws -> Response {
        logger.warning("reviewer refused an admin action", metadata: ["staff": "\(visit.member.name)", "action": "\(what)", "client": "\(context.clientAddress)"])
        try store.recordAudit(actor: visit.member.name, action: "forbidden", subject: visit.member.name, detail: "\(what) needs an admin", now: now)
        return message(.forbidden, "Admins only", "This needs the admin role; you are a \(visit.member.role.rawValue).", visit: visit)
    }

    static func body(_ request: Request) async throws -> Data? {
        do {
            let buffer = try await request.body.collect(upTo: maxFormBytes)
            return Data(buffer.readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return nil
        }
    }

    func sessionCookie(_ id: String) -> String {
        "\(Self.sessionCookie)=\(id); Path=/; HttpOnly; SameSite=Strict" + (secureCookies ? "; Secure" : "")
    }

    func expiredCookie(_ name: String, path: String) -> String {
        "\(name)=; Path=\(path); Max-Age=0; HttpOnly; SameSite=Strict" + (secureCookies ? "; Secure" : "")
    }

    // MARK: Login

    func loginPage(_ request: Request, error: String? = nil, status: HTTPResponse.Status = .ok, username: String = "") -> Response {
        let token = SessionSecrets.token()
        let query = request.uri.queryParameters
        var notice: String?
        if query.get("expired") != nil { notice = "Your session ended; log in again." }
        if query.get("out") != nil { notice = "You are logged out." }
        var page: [String: Any] = ["csrf": token, "username": username]
        if let notice { page["notice"] = notice }
        if let error { page["error"] = error }
        let cookie = "\(Self.loginCookie)=\(token); Path=/login; Max-Age=3600; HttpOnly; SameSite=Strict" + (secureCookies ? "; Secure" : "")
        return WebPage.html(status, render("login", page, title: "Log in", visit: nil), cookies: [cookie])
    }

    func login(_ request: Request, _ context: ServerContext) async -> Response {
        let client = context.clientAddress
        guard let data = try? await Self.body(request) else { return loginPage(request, error: "The form is too large.", status: .contentTooLarge) }
        let form = FormFields(data)
        let username = String((form.text("username") ?? "").prefix(64))
        guard let token = form["csrf_token"], let expected = SessionSecrets.cookie(Self.loginCookie, in: request.headers[.cookie]), SessionSecrets.equal(token, expected) else {
            logger.warning("login without a valid CSRF token", metadata: ["client": "\(client)"])
            return loginPage(request, error: "The login form expired or was not ours; try again.", status: .forbidden, username: username)
        }
        let time = now
        if let until = throttle.lockedUntil(client, now: time) {
            return loginPage(
                request, error: "Logins from your address are locked after too many failures: try again after \(ISOTime.format(millis: until, fraction: false)).", status: .tooManyRequests,
                username: username)
        }
        let password = form["password"] ?? ""
        let code = form.text("totp")
        let accounts = self.accounts
        let outcome: StaffAccounts.LoginOutcome
        do {
            outcome = try await NIOThreadPool.singleton.runIfActive {
                try accounts.login(name: username, password: password, code: code, client: client, now: time)
            }
        } catch {
            logger.error("login check failed", metadata: ["error": "\(error)"])
            return loginPage(request, error: "The login could not be checked; try again.", status: .internalServerError, username: username)
        }
        switch outcome {
        case .success(let member):
            let id = SessionSecrets.token()
            let session = StaffSession(
                idSHA256: SessionSecrets.digest(id), staffName: member.name, csrfToken: SessionSecrets.token(), createdAt: time, lastSeenAt: time, client: client)
            do {
                // Sessions left to expire (never used again) go at the next login.
                let config = settings.current
                try store.pruneSessions(createdBefore: time - config.sessionLifetime.millis, idleBefore: time - config.sessionIdle.millis)
                try store.createSession(session, now: time)
            } catch {
                logger.error("cannot store a session", metadata: ["error": "\(error)"])
                return loginPage(request, error: "The login could not be recorded; try again.", status: .internalServerError, username: username)
            }
            logger.notice("staff logged in", metadata: ["staff": "\(member.name)", "role": "\(member.role.rawValue)", "client": "\(client)"])
            return WebPage.redirect("/", cookies: [sessionCookie(id), expiredCookie(Self.loginCookie, path: "/login")])
        case .refused:
            if let until = throttle.fail(client, now: time) {
                logger.warning("login locked for a client address", metadata: ["client": "\(client)", "until": "\(ISOTime.format(millis: until, fraction: false))"])
                try? store.recordAudit(
                    actor: "anonymous", action: "login.address_lock", subject: client,
                    detail: "\(StaffAccounts.failureThreshold) failed logins; locked until \(ISOTime.format(millis: until, fraction: false))", now: time)
            }
            return loginPage(request, error: "Wrong name, password or one-time code.", status: .unauthorized, username: username)
        case .locked(let until):
            _ = throttle.fail(client, now: time)
            return loginPage(
                request,
                error: "This account is locked until \(ISOTime.format(millis: until, fraction: false)) after \(StaffAccounts.failureThreshold) failed logins. An admin can lift it (abuse-ingest staff reset-password).",
                status: .tooManyRequests, username: username)
        case .needsTOTP:
            return loginPage(
                request, error: "An admin logs in with a one-time code: ask for two-factor to be set up (abuse-ingest staff totp enable \(username)).",
                status: .forbidden, username: username)
        }
    }

    // MARK: Rendering

    func render(_ template: String, _ page: [String: Any], title: String, visit: Visit?) -> String {
        var page = page
        if let visit { page["isAdmin"] = visit.isAdmin; page["csrf"] = visit.session.csrfToken }
        let body = library.render(page, withTemplate: template) ?? ""
        var layout: [String: Any] = ["title": title, "body": body]
        if let visit {
            layout["visitor"] = ["name": visit.member.name, "role": visit.member.role.rawValue, "csrf": visit.session.csrfToken, "isAdmin": visit.isAdmin] as [String: Any]
        }
        return library.render(layout, withTemplate: "layout") ?? ""
    }

    func message(_ status: HTTPResponse.Status, _ heading: String, _ text: String, visit: Visit?, link: (href: String, label: String)? = nil) -> Response {
        var page: [String: Any] = ["heading": heading, "text": text, "kind": status.code >= 400 ? "error" : "notice"]
        if let link { page["link"] = ["href": link.href, "label": link.label] }
        return WebPage.html(status, render("message", page, title: heading, visit: visit))
    }

    /// `1 d 3 h`, `5 h 12 min`, `14 min`, `40 s`.
    static func span(_ millis: Int64) -> String {
        let seconds = max(0, millis / 1000)
        let (d, h, m) = (seconds / 86_400, seconds % 86_400 / 3600, seconds % 3600 / 60)
        if d > 0 { return "\(d) d \(h) h" }
        if h > 0 { return "\(h) h \(m) min" }
        if m > 0 { return "\(m) min" }
        return "\(seconds) s"
    }

    static func time(_ millis: Int64?) -> String { millis.map { ISOTime.format(millis: $0, fraction: false) } ?? "—" }
}
