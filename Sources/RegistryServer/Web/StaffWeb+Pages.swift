import EnforcementEngine
import Foundation
import HTTPTypes
import Hummingbird
import NIOPosix
import Primitives
import RegistryClient

/// Addresses, reporters and their tokens, rules, the audit log and staff accounts.
extension StaffWeb {
    func ipPage(_ text: String, _ visit: Visit) throws -> Response {
        guard text.utf8.count <= 64, let ip = IPAddress(text) else {
            return message(.badRequest, "Not an address", "'\(text)' is not an IPv4 or IPv6 address.", visit: visit)
        }
        let engine = store.engine
        let activity = try engine.activity(of: ip)
        let cases = try engine.cases(subject: ip.description)
        let state = try engine.registry.state(of: ip, at: now)
        var view: [String: Any] = ["ip": ip.description, "statusNow": "\(state)"]
        let registration = activity.registration.map(RegistrationDocument.init)
        view["registration"] = registration.map(Self.registrationRow)
        view["hasRegistration"] = !registration.isEmpty
        view["cases"] = cases.map { c -> [String: Any] in
            ["id": c.id, "status": c.status.rawValue, "rule": c.ruleID, "action": c.action.rawValue, "opened": Self.time(c.opened)]
        }
        view["hasCases"] = !cases.isEmpty
        if let first = activity.firstSeen, let last = activity.lastSeen {
            view["firstSeen"] = Self.time(first)
            view["lastSeen"] = Self.time(last)
        }
        view["reporters"] = activity.reporters.keys.sorted().map { reporter -> [String: Any] in
            let days = activity.reporters[reporter] ?? [:]
            let dayNames = days.keys.sorted()
            // Kinds (not their reasons) stack in the chart; the table has both.
            let kinds = Set(days.values.flatMap(\.keys)).sorted()
            let plainKinds = kinds.filter { !$0.contains(".") }
            let chart = BarChart(
                title: "\(ip) seen by \(reporter), events per day by kind", labels: dayNames,
                series: plainKinds.map { kind in BarChart.Series(name: kind, values: dayNames.map { days[$0]?[kind] ?? 0 }) })
            return [
                "reporter": reporter, "chart": chart.svg, "kinds": kinds,
                "days": dayNames.map { day -> [String: Any] in ["day": day, "counts": kinds.map { String(days[day]?[$0] ?? 0) }] },
            ]
        }
        return WebPage.html(.ok, render("ip", view, title: ip.description, visit: visit))
    }

    func reportersPage(_ visit: Visit, flash: String?, newToken: (reporter: String, id: String, text: String)?, status: HTTPResponse.Status = .ok) throws -> Response {
        let time = now
        let engine = store.engine
        let statuses = try engine.reporterStatuses(last: 14, asOf: time)
        var view: [String: Any] = [:]
        if let flash { view["flash"] = flash }
        if let newToken { view["newToken"] = ["reporter": newToken.reporter, "id": newToken.id, "text": newToken.text] }
        view["reporters"] = try statuses.map { s -> [String: Any] in
            let shipments = s.shipments
            // Nightly volume: events of the ingested shipments by the day they arrived.
            var perDay: [String: Int] = [:]
            for shipment in shipments where shipment.status == "ingested" { perDay[String((shipment.firstEvent ?? shipment.received).prefix(10)), default: 0] += shipment.events }
            let days = perDay.keys.sorted()
            let chart = BarChart(
                title: "\(s.reporter.id): events per night (last \(shipments.count) shipments)", labels: days,
                series: [BarChart.Series(name: "events", values: days.map { perDay[$0] ?? 0 })], width: 560, height: 120)
            var row: [String: Any] = [
                "id": s.reporter.id, "name": s.reporter.name, "organisation": s.reporter.organisation, "timezone": s.reporter.timezone,
                "flags": s.flags.map { $0.rawValue.replacingOccurrences(of: "_", with: " ") }, "lastIngested": s.lastIngested ?? "never",
                "contradicted": s.contradicted, "chart": chart.svg,
                "shipments": shipments.map { f -> [String: Any] in
                    [
                        "received": f.received, "file": f.file, "status": f.status, "lines": f.lines, "events": f.events,
                        "unparsedShare": String(format: "%.1f %%", f.unparsedShare * 100), "highUnparsed": f.unparsedShare > s.reporter.unparsedThreshold,
                        "gapHours": f.gapHours, "skewed": f.futureEvents + f.distantEvents, "error": f.error ?? "",
                    ]
                },
            ]
            if visit.isAdmin {
                row["tokens"] = try store.tokens(reporter: s.reporter.id).map { t -> [String: Any] in
                    let state = t.state(at: time)
                    return [
                        "id": t.id, "reporter": s.reporter.id, "created": Self.time(t.createdAt), "expires": Self.time(t.expiresAt), "state": state,
                        "active": state == "active",
                    ]
                }
            }
            return row
        }
        return WebPage.html(status, render("reporters", view, title: "Reporters", visit: visit))
    }

    func createToken(_ reporter: String, form: FormFields, visit: Visit) throws -> Response {
        var expires: Int64?
        if let text = form.text("expires") {
            guard let time = ISOTime.parse(text), time > now else {
                return try reportersPage(visit, flash: "Not created: '\(text)' is not an ISO 8601 time in the future.", newToken: nil, status: .badRequest)
            }
            expires = time
        }
        do {
            let (record, text) = try store.createToken(reporter: reporter, expires: expires, by: visit.member.name, now: now)
            logger.notice("reporter token created", metadata: ["reporter": "\(reporter)", "token": "\(record.id)", "staff": "\(visit.member.name)"])
            return try reportersPage(visit, flash: nil, newToken: (reporter, record.id, text))
        } catch let failure as ServiceStore.Failure {
            return try reportersPage(visit, flash: "Not created: \(failure.description)", newToken: nil, status: .badRequest)
        }
    }

    func revokeToken(_ reporter: String, token: String, visit: Visit) throws -> Response {
        do {
            try store.revokeToken(reporter: reporter, id: token, by: visit.member.name, now: now)
            logger.notice("reporter token revoked", metadata: ["reporter": "\(reporter)", "token": "\(token)", "staff": "\(visit.member.name)"])
            return try reportersPage(visit, flash: "Token \(token) of \(reporter) is revoked.", newToken: nil)
        } catch let failure as ServiceStore.Failure {
            return try reportersPage(visit, flash: "Not revoked: \(failure.description)", newToken: nil, status: .badRequest)
        }
    }

    func rulesPage(_ visit: Visit) throws -> Response {
        let set = rules.rules
        var view: [String: Any] = ["folder": set.folder, "loadedAt": Self.time(Int64(rules.loadedAt.timeIntervalSince1970 * 1000))]
        if let error = rules.error { view["error"] = error }
        view["rules"] = set.rules.map { r -> [String: Any] in
            [
                "id": r.id, "description": r.description, "appliesTo": r.appliesTo.map(\.rawValue).sorted().joined(separator: ", "),
                "window": Self.span(r.window), "action": r.action.rawValue, "severity": r.severity.rawValue, "file": (r.file as NSString).lastPathComponent,
                "sha256": r.fileSHA256,
            ]
        }
        view["files"] = rules.fileTexts().map { ["name": $0.name, "sha256": $0.sha256, "text": $0.text] }
        return WebPage.html(.ok, render("rules", view, title: "Rules", visit: visit))
    }

    func auditPage(_ request: Request, _ visit: Visit) throws -> Response {
        let query = request.uri.queryParameters
        func value(_ name: String) -> String? {
            query.get(name).map { String($0) }.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : String($0.trimmingCharacters(in: .whitespaces).prefix(100)) }
        }
        let caseID = value("case")
        let staff = value("staff")
        var view: [String: Any] = ["caseFilter": caseID ?? "", "staffFilter": staff ?? "", "fromFilter": value("from") ?? "", "toFilter": value("to") ?? ""]
        var from: Int64?
        var to: Int64?
        if let text = value("from") {
            if let time = ISOTime.parse(text + (text.count == 10 ? "T00:00:00Z" : "")) { from = time } else { view["error"] = "'\(text)' is not a date (YYYY-MM-DD)." }
        }
        if let text = value("to") {
            if let time = ISOTime.parse(text + (text.count == 10 ? "T00:00:00Z" : "")) { to = time + (text.count == 10 ? 86_400_000 : 0) } else {
                view["error"] = "'\(text)' is not a date (YYYY-MM-DD)."
            }
        }
        let limit = 500
        var lines: [(time: Int64, id: Int64, row: [String: Any])] = []
        for e in try store.engine.auditLog(caseID: caseID, actor: staff, from: from, to: to, limit: limit) {
            let change = "\(e.fromStatus?.rawValue ?? "—") → \(e.toStatus?.rawValue ?? "—")"
            lines.append((e.time, e.id ?? 0, ["time": Self.time(e.time), "actor": e.actor, "action": e.action, "caseID": e.caseID, "subject": e.caseID, "change": change, "detail": e.reason]))
        }
        if caseID == nil {
            for e in try store.auditLog(actor: staff, from: from, to: to, limit: limit) {
                lines.append((e.time, e.id, ["time": Self.time(e.time), "actor": e.actor, "action": e.action, "caseID": false, "subject": e.subject, "change": "", "detail": e.detail]))
            }
        }
        lines.sort { ($0.time, $0.id) > ($1.time, $1.id) }
        view["truncated"] = lines.count > limit
        view["limit"] = limit
        view["lines"] = lines.prefix(limit).map(\.row)
        view["count"] = min(lines.count, limit)
        return WebPage.html(.ok, render("audit", view, title: "Audit log", visit: visit))
    }

    func staffPage(_ visit: Visit, added: StaffAccounts.Added?, flash: String?, error: String?, status: HTTPResponse.Status = .ok) throws -> Response {
        let time = now
        var view: [String: Any] = [:]
        if let added {
            view["added"] = [
                "name": added.member.name, "role": added.member.role.rawValue, "password": added.generatedPassword ?? "",
                "totpURI": added.totpURI.map { $0 as Any } ?? false,
            ]
        }
        if let flash { view["flash"] = flash }
        if let error { view["error"] = error }
        view["members"] = try store.staff().map { m -> [String: Any] in
            let state = m.disabledAt != nil ? "disabled" : m.lockedUntil > time ? "locked until \(Self.time(m.lockedUntil))" : "active"
            return [
                "name": m.name, "role": m.role.rawValue, "totp": m.totpEnabled ? "on" : "off", "created": Self.time(m.createdAt), "state": state,
                "canDisable": m.disabledAt == nil && m.name != visit.member.name,
            ]
        }
        return WebPage.html(status, render("staff", view, title: "Staff", visit: visit))
    }

    func addStaff(_ form: FormFields, visit: Visit) async throws -> Response {
        guard let name = form.text("name"), let role = form["role"].flatMap(StaffMember.Role.init(rawValue:)) else {
            return try staffPage(visit, added: nil, flash: nil, error: "A name and a role are needed.", status: .badRequest)
        }
        let accounts = self.accounts
        let actor = visit.member.name
        let time = now
        do {
            let added = try await NIOThreadPool.singleton.runIfActive { try accounts.add(name: name, role: role, password: nil, by: actor, now: time) }
            logger.notice("staff member added", metadata: ["staff": "\(name)", "role": "\(role.rawValue)", "by": "\(actor)"])
            return try staffPage(visit, added: added, flash: nil, error: nil)
        } catch let failure as ServiceStore.StaffFailure {
            return try staffPage(visit, added: nil, flash: nil, error: failure.description, status: .badRequest)
        }
    }

    func disableStaff(_ name: String, visit: Visit) throws -> Response {
        guard name != visit.member.name else { return try staffPage(visit, added: nil, flash: nil, error: "You cannot disable yourself.", status: .badRequest) }
        do {
            try accounts.disable(name: name, by: visit.member.name, now: now)
            logger.notice("staff member disabled", metadata: ["staff": "\(name)", "by": "\(visit.member.name)"])
            return try staffPage(visit, added: nil, flash: "\(name) is disabled; their sessions ended.", error: nil)
        } catch let failure as ServiceStore.StaffFailure {
            return try staffPage(visit, added: nil, flash: nil, error: failure.description, status: .badRequest)
        }
    }
}
