import EnforcementEngine
import Foundation
import RegistryServer
import Testing
import TestSupport

/// Staff accounts without a browser: the password rules, the lock after five failures, TOTP
/// (required for admins, each code good once), the `staff` commands, and the HTTP answers a
/// browser does not show (redirects, headers, cookie flags, CSRF on the login form).
@Suite(.serialized) struct StaffAccountTests {
    func accounts(_ backend: Backend = .sqlite) throws -> (StaffAccounts, ServeFixture) {
        let fixture = try ServeFixture(reporters: [], backend: backend)
        return (StaffAccounts(store: try ServiceStore(engine: EngineStore(location: fixture.postgres?.url ?? fixture.database.path))), fixture)
    }

    @Test(arguments: Backend.allCases) func fiveWrongPasswordsLockTheAccountUntilAnAdminResetsIt(_ backend: Backend) throws {
        let (accounts, fixture) = try accounts(backend)
        defer { fixture.postgres?.remove() }
        let now: Int64 = 1_800_000_000_000
        _ = try accounts.add(name: "rita", role: .reviewer, password: "a very good passphrase", by: "test", now: now)
        for n in 1...4 {
            #expect(try accounts.login(name: "rita", password: "wrong \(n)", code: nil, client: "192.0.2.1", now: now + Int64(n)) == .refused)
        }
        let fifth = try accounts.login(name: "rita", password: "wrong 5", code: nil, client: "192.0.2.1", now: now + 5)
        #expect(fifth == .locked(until: now + 5 + StaffAccounts.lockMillis))
        // Locked: even the right password does not open it, until the lock ends.
        #expect(try accounts.login(name: "rita", password: "a very good passphrase", code: nil, client: "192.0.2.1", now: now + 60_000) == .locked(until: now + 5 + StaffAccounts.lockMillis))
        guard case .success = try accounts.login(name: "rita", password: "a very good passphrase", code: nil, client: "192.0.2.1", now: now + 5 + StaffAccounts.lockMillis + 1) else {
            Issue.record("the lock ends after 15 minutes")
            return
        }
        // A reset lifts a lock at once.
        for n in 1...5 { _ = try accounts.login(name: "rita", password: "wrong \(n)", code: nil, client: "192.0.2.1", now: now + 2_000_000 + Int64(n)) }
        try accounts.resetPassword(name: "rita", password: "another good passphrase", by: "admin", now: now + 2_000_010)
        guard case .success = try accounts.login(name: "rita", password: "another good passphrase", code: nil, client: "192.0.2.1", now: now + 2_000_020) else {
            Issue.record("a reset lifts the lock")
            return
        }
        let audit = try accounts.store.auditEntries(subject: "rita").map(\.action)
        #expect(audit.filter { $0 == "staff.lock" }.count == 2 && audit.contains("staff.reset_password"), "\(audit)")
    }

    @Test func unknownNamesAndDisabledAccountsAreRefusedAlike() throws {
        let (accounts, _) = try accounts()
        let now: Int64 = 1_800_000_000_000
        _ = try accounts.add(name: "gone", role: .reviewer, password: "a very good passphrase", by: "test", now: now)
        try accounts.disable(name: "gone", by: "admin", now: now)
        #expect(try accounts.login(name: "gone", password: "a very good passphrase", code: nil, client: "c", now: now + 1) == .refused)
        #expect(try accounts.login(name: "nobody", password: "a very good passphrase", code: nil, client: "c", now: now + 1) == .refused)
    }

    @Test(arguments: Backend.allCases) func adminsNeedATOTPCodeAndEachCodeWorksOnce(_ backend: Backend) throws {
        let (accounts, fixture) = try accounts(backend)
        defer { fixture.postgres?.remove() }
        let now: Int64 = 1_800_000_000_000
        let added = try accounts.add(name: "ada", role: .admin, password: "an admin's passphrase", by: "test", now: now)
        let uri = try #require(added.totpURI)
        #expect(uri.hasPrefix("otpauth://totp/abuse-ingest:ada?secret=") && uri.contains("issuer=abuse-ingest"))
        let secret = try #require(try accounts.store.staffMember("ada")?.totpSecret)
        #expect(try accounts.login(name: "ada", password: "an admin's passphrase", code: nil, client: "c", now: now) == .refused)
        let code = StaffAccounts.code(secret: secret, at: now)
        #expect(try accounts.login(name: "ada", password: "wrong", code: code, client: "c", now: now) == .refused)
        guard case .success(let member) = try accounts.login(name: "ada", password: "an admin's passphrase", code: code, client: "c", now: now) else {
            Issue.record("password and current code log an admin in")
            return
        }
        #expect(member.role == .admin)
        // The same code again (a replay) is refused; the next step's code works.
        #expect(try accounts.login(name: "ada", password: "an admin's passphrase", code: code, client: "c", now: now + 1000) == .refused)
        let next = StaffAccounts.code(secret: secret, at: now + 30_000)
        guard case .success = try accounts.login(name: "ada", password: "an admin's passphrase", code: next, client: "c", now: now + 30_000) else {
            Issue.record("the next step's code works")
            return
        }
        // A code two steps old is refused.
        let old = StaffAccounts.code(secret: secret, at: now)
        #expect(try accounts.login(name: "ada", password: "an admin's passphrase", code: old, client: "c", now: now + 120_000) == .refused)
    }

    @Test func weakOrOverlongPasswordsAreRefused() throws {
        let (accounts, _) = try accounts()
        #expect(throws: StaffAccounts.PasswordProblem.tooShort) { try accounts.add(name: "a", role: .reviewer, password: "short", by: "t", now: 0) }
        #expect(throws: StaffAccounts.PasswordProblem.tooLong) { try accounts.add(name: "b", role: .reviewer, password: String(repeating: "é", count: 40), by: "t", now: 0) }
        #expect(throws: ServiceStore.StaffFailure.invalidName("engine")) { try accounts.add(name: "engine", role: .reviewer, password: nil, by: "t", now: 0) }
        #expect(throws: ServiceStore.StaffFailure.invalidName("a b")) { try accounts.add(name: "a b", role: .reviewer, password: nil, by: "t", now: 0) }
        #expect(try accounts.store.staff().isEmpty)
    }

    @Test func staffCommandsAddListDisableAndRefuseWeakPasswords() throws {
        let fixture = try ServeFixture(reporters: [])
        let db = fixture.database.path
        let weak = try CommandRunner.run(["staff", "add", "kim", "--role", "reviewer", "--db", db], stdin: Data("short\n".utf8))
        #expect(weak.status == 2 && weak.stderr.contains("at least 12 characters"), "\(weak.stderr)")
        let added = try CommandRunner.run(["staff", "add", "kim", "--role", "reviewer", "--db", db])
        let password = added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(added.status == 0 && password.count == 20, "a generated password is printed once: \(added.stdout)")
        let again = try CommandRunner.run(["staff", "add", "kim", "--role", "admin", "--db", db], stdin: Data("long enough passphrase\n".utf8))
        #expect(again.status == 2 && again.stderr.contains("exists already"))
        let listed = try CommandRunner.run(["staff", "list", "--json", "--db", db])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1 && rows[0]["name"] as? String == "kim" && rows[0]["role"] as? String == "reviewer" && rows[0]["totp"] as? Bool == false)
        #expect(!listed.stdout.contains("$2"), "no hash is ever printed")
        let totp = try CommandRunner.run(["staff", "totp", "enable", "kim", "--db", db])
        #expect(totp.status == 0 && totp.stdout.hasPrefix("otpauth://totp/"))
        #expect(try CommandRunner.run(["staff", "disable", "kim", "--db", db]).status == 0)
        #expect(try CommandRunner.run(["staff", "disable", "nobody", "--db", db]).status == 2)
        let after = try CommandRunner.run(["staff", "list", "--db", db]).stdout
        #expect(after.contains("kim\treviewer\ttotp on\tdisabled"), "\(after)")
    }

    /// `curl -si` against the service: status, headers and body of one exchange.
    func curl(_ arguments: [String]) throws -> (status: Int, headers: [String: [String]], body: String) {
        let curl = try Requirement.program("curl", debianPackage: "curl")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: curl)
        process.arguments = ["-si", "--max-time", "20"] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts.first?.split(separator: "\r\n").map(String.init) ?? []
        let status = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: [String]] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased(), default: []].append(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return (status, headers, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// A reviewer downloads a case's signed bundle from its page: a zip that `evidence
    /// verify` accepts against the archive; a case that is not there, or an id of another
    /// shape, is 404.
    @Test func aReviewerDownloadsACasesBundleThatVerifies() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-bundle-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let made = try CommandRunner.run(["demo", "--dir", folder.path])
        try #require(made.status == 0, "\(made.stderr)")
        let database = folder.appendingPathComponent("abuse-ingest.db")
        #expect(try CommandRunner.run(["staff", "add", "lee", "--role", "reviewer", "--db", database.path], stdin: Data("lee's long passphrase\n".utf8)).status == 0)
        let serve = try ServeProcess(database: database)
        defer { _ = serve.stop() }
        let jar = folder.appendingPathComponent("jar").path
        let form = try curl(["-c", jar, serve.url + "/login"])
        let token = try #require(form.body.range(of: #"name="csrf_token" value="([^"]+)""#, options: .regularExpression).map { String(form.body[$0].dropFirst(25).dropLast()) })
        let login = try curl(["-b", jar, "-c", jar, serve.url + "/login", "--data-urlencode", "username=lee", "--data-urlencode", "password=lee's long passphrase", "--data-urlencode", "csrf_token=\(token)"])
        try #require(login.status == 303)
        // The headers to standard output (-D -); the file gets them too (-i), then the body.
        let saved = folder.appendingPathComponent("download")
        let download = try curl(["-b", jar, "-D", "-", "-o", saved.path, serve.url + "/cases/C-2026-000001/bundle.zip"])
        #expect(download.status == 200 && download.headers["content-type"] == ["application/zip"], "\(download.status) \(download.headers)")
        #expect(download.headers["content-disposition"] == ["attachment; filename=\"C-2026-000001.zip\""])
        let bytes = try Data(contentsOf: saved)
        let body = try #require(bytes.range(of: Data("\r\n\r\n".utf8)).map { bytes[$0.upperBound...] })
        #expect(body.prefix(2) == Data("PK".utf8))
        let zip = folder.appendingPathComponent("bundle.zip")
        try body.write(to: zip)
        let verified = try CommandRunner.run(["evidence", "verify", zip.path, "--db", database.path, "--archive", folder.path])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        // The case page shows the bundle's excerpt lines, each with its file, line and offset.
        let page = try curl(["-b", jar, serve.url + "/cases/C-2026-000001"])
        let rows = page.body.matches(of: /<td class="num">([1-9][0-9]*)<\/td><td class="num">([0-9]+)<\/td><td class="line">([^<]+)<\/td>/)
        #expect(page.status == 200 && !rows.isEmpty, "the sample lines of the bundle on the case page")
        for path in ["/cases/C-2099-000001/bundle.zip", "/cases/c-2026-000001/bundle.zip", "/cases/C-2026-000001%27/bundle.zip"] {
            let missing = try curl(["-b", jar, serve.url + path])
            #expect(missing.status == 404 && missing.body.contains("no such case"), "\(path): \(missing.status)")
        }
    }

    @Test func staffPagesNeedASessionAndEveryAnswerCarriesTheCSP() throws {
        let fixture = try ServeFixture(reporters: ["isp-a"])
        let db = fixture.database.path
        #expect(try CommandRunner.run(["staff", "add", "lee", "--role", "reviewer", "--db", db], stdin: Data("lee's long passphrase\n".utf8)).status == 0)
        let serve = try ServeProcess(database: fixture.database)
        defer { _ = serve.stop() }
        let csp = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"
        for path in ["/", "/cases/C-2026-000001", "/cases/C-2026-000001/bundle.zip", "/ips/192.0.2.1", "/reporters", "/rules", "/audit", "/staff"] {
            let answer = try curl([serve.url + path])
            #expect(answer.status == 303 && answer.headers["location"] == ["/login"], "\(path) without a session: \(answer.status)")
            #expect(answer.headers["content-security-policy"] == [csp] && answer.headers["referrer-policy"] == ["no-referrer"], "\(path)")
        }
        let forged = try curl(["-X", "POST", serve.url + "/cases/C-2026-000001/approve", "--data", "reason=x&csrf_token=x"])
        #expect(forged.status == 303, "a POST without a session goes to the login page")
        let jar = fixture.folder.appendingPathComponent("jar").path
        let form = try curl(["-c", jar, serve.url + "/login"])
        #expect(form.status == 200 && form.headers["content-security-policy"] == [csp] && !form.body.contains("<script"))
        let token = try #require(form.body.range(of: #"name="csrf_token" value="([^"]+)""#, options: .regularExpression).map { String(form.body[$0].dropFirst(25).dropLast()) })
        let noToken = try curl(["-b", jar, serve.url + "/login", "--data-urlencode", "username=lee", "--data-urlencode", "password=lee's long passphrase"])
        #expect(noToken.status == 403 && noToken.headers["set-cookie"]?.contains { $0.hasPrefix("abuse_session=") } != true, "a login without the form's token is refused")
        let wrong = try curl(["-b", jar, serve.url + "/login", "--data-urlencode", "username=lee", "--data-urlencode", "password=not it", "--data-urlencode", "csrf_token=\(token)"])
        #expect(wrong.status == 401 && wrong.body.contains("Wrong name, password or one-time code."))
        let login = try curl(["-b", jar, "-c", jar, serve.url + "/login", "--data-urlencode", "username=lee", "--data-urlencode", "password=lee's long passphrase", "--data-urlencode", "csrf_token=\(token)"])
        let cookie = try #require(login.headers["set-cookie"]?.first { $0.hasPrefix("abuse_session=") })
        #expect(login.status == 303 && login.headers["location"] == ["/"])
        #expect(cookie.contains("; Path=/") && cookie.contains("; HttpOnly") && cookie.contains("; SameSite=Strict") && !cookie.contains("Secure"), "\(cookie)")
        let queue = try curl(["-b", jar, serve.url + "/"])
        #expect(queue.status == 200 && queue.body.contains("<h1>Review queue</h1>") && queue.headers["content-security-policy"] == [csp])
        #expect(!queue.body.contains("<script") && !queue.body.contains("style=\""), "no inline script or style on a page")
        let style = try curl(["-b", jar, serve.url + "/static/style.css"])
        #expect(style.status == 200 && style.headers["content-type"] == ["text/css; charset=utf-8"] && style.body.contains("prefers-color-scheme: dark"))
        let staffPage = try curl(["-b", jar, serve.url + "/staff"])
        #expect(staffPage.status == 403, "a reviewer gets 403 on the staff page")
        let log = try CommandRunner.run(["staff", "list", "--db", db])
        #expect(log.status == 0)
        let audit = try ServiceStore(path: db).auditEntries(subject: "lee").map(\.action)
        #expect(audit.contains("login") && audit.contains("login.failure") && audit.contains("forbidden"), "\(audit)")
    }
}
