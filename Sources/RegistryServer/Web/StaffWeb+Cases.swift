import EnforcementEngine
import Evidence
import Foundation
import HTTPTypes
import Hummingbird
import Primitives
import RegistryClient

/// The queue, the case page, decisions and the bundle download.
extension StaffWeb {
    static let pageSize = 50

    func queuePage(_ request: Request, _ visit: Visit) throws -> Response {
        let query = request.uri.queryParameters
        func value(_ name: String) -> String? { query.get(name).map { String($0) }.flatMap { $0.isEmpty ? nil : String($0.prefix(200)) } }
        let filter = EngineStore.QueueFilter(
            status: value("status").flatMap(EnforcementCase.Status.init(rawValue:)), rule: value("rule"), reporter: value("reporter"),
            severity: value("severity").flatMap(Rule.Severity.init(rawValue:)))
        let page = max(1, min(1_000_000, Int(value("page") ?? "1") ?? 1))
        let time = now
        let deadline = settings.current.reviewDeadline.millis
        let engine = store.engine
        let result = try engine.caseQueue(filter, offset: (page - 1) * Self.pageSize, limit: Self.pageSize, overdueBefore: time - deadline)
        let pages = max(1, (result.total + Self.pageSize - 1) / Self.pageSize)
        let rows: [[String: Any]] = result.cases.map { c in
            let since = result.suspendedAt[c.id] ?? c.opened
            let suspended = c.status == .suspended
            var row: [String: Any] = [
                "id": c.id, "status": c.status.rawValue, "severity": c.severity.rawValue, "subject": c.subject, "subjectIP": c.subjectKind == .ip,
                "rule": c.ruleID, "action": c.action.rawValue, "reporterList": c.reporters.joined(separator: ", "),
                "opened": Self.time(c.opened), "waiting": Self.span(time - since), "late": suspended && time - since > deadline,
            ]
            row["dueIn"] = suspended && time - since <= deadline ? Self.span(deadline - (time - since)) : false
            return row
        }
        func options(_ values: [String], selected: String?, all: String) -> [[String: Any]] {
            [["value": "", "label": all, "selected": selected == nil]] + values.map { ["value": $0, "label": $0, "selected": $0 == selected] }
        }
        func link(page target: Int) -> String {
            var parts: [String] = []
            for (name, given) in [("status", filter.status?.rawValue), ("rule", filter.rule), ("reporter", filter.reporter), ("severity", filter.severity?.rawValue)] {
                if let given { parts.append("\(name)=\(FormFields.encode(given))") }
            }
            parts.append("page=\(target)")
            return "/?" + parts.joined(separator: "&")
        }
        var view: [String: Any] = [
            "suspended": result.suspended, "overdue": result.overdue, "open": result.open, "deadline": Self.span(deadline),
            "filtered": filter != EngineStore.QueueFilter(), "total": result.total, "page": page, "pages": pages, "cases": rows,
            "statuses": options(EnforcementCase.Status.allCases.map(\.rawValue), selected: filter.status?.rawValue, all: "awaiting a decision"),
            "rules": options(try engine.caseRules(), selected: filter.rule, all: "any rule"),
            "reporterOptions": options(try engine.reporters().map(\.id), selected: filter.reporter, all: "any reporter"),
            "severities": options(Rule.Severity.allCases.map(\.rawValue), selected: filter.severity?.rawValue, all: "any severity"),
        ]
        if page > 1 { view["previousPage"] = link(page: page - 1) }
        if page < pages { view["nextPage"] = link(page: page + 1) }
        return WebPage.html(.ok, render("queue", view, title: "Queue", visit: visit))
    }

    func doneMessage(_ request: Request) -> String? {
        switch request.uri.queryParameters.get("done").map({ String($0) }) {
        case "approve": "Approved."
        case "dismiss": "Dismissed."
        case "reinstate": "Reinstated."
        default: nil
        }
    }

    func casePage(_ id: String, _ visit: Visit, flash: String?, unredacted: Bool = false, status: HTTPResponse.Status = .ok) throws -> Response {
        guard id.utf8.count <= 40, let (item, audit) = try store.engine.enforcementCase(id: id) else {
            return message(.notFound, "No such case", "There is no case \(id).", visit: visit, link: ("/", "Back to the queue"))
        }
        let caseEvidence: CaseEvidence
        if unredacted {
            caseEvidence = CaseEvidence(bundle: try exporter.bundle(caseID: item.id, redacted: false), verifier: verifier)
        } else {
            caseEvidence = try evidence.evidence(caseID: item.id, updated: item.updated) {
                CaseEvidence(bundle: try exporter.bundle(caseID: item.id), verifier: verifier)
            }
        }
        var view: [String: Any] = [
            "id": item.id, "status": item.status.rawValue, "subject": item.subject, "subjectIP": item.subjectKind == .ip,
            "subjectKind": item.subjectKind.rawValue, "severity": item.severity.rawValue, "action": item.action.rawValue,
            "opened": Self.time(item.opened), "updated": Self.time(item.updated), "windowStart": Self.time(item.windowStart), "windowEnd": Self.time(item.windowEnd),
            "reporterList": item.reporters.joined(separator: ", "), "rule": item.ruleID, "ruleSHA256": item.ruleSHA256, "unredacted": unredacted,
        ]
        if let registrant = item.registrant { view["registrant"] = registrant }
        if let addresses = item.figures.addresses { view["addresses"] = addresses.joined(separator: ", ") }
        if let flash { view["flash"] = flash }
        // Registration: the address's whole history; for a registrant, the one the case saw.
        var registration: [RegistrationDocument] = []
        if let ip = IPAddress(item.subject) {
            registration = try store.engine.registry.history(of: ip).map(RegistrationDocument.init)
        } else if let record = item.registration {
            registration = [RegistrationDocument(record)]
        }
        view["registration"] = registration.map(Self.registrationRow)
        view["hasRegistration"] = !registration.isEmpty
        view["registrationNote"] = "Not registered when the case opened."
        if let file = try store.ruleFile(sha256: item.ruleSHA256) {
            view["ruleFile"] = file.name
            view["ruleText"] = file.text
        }
        view["conditions"] = item.figures.conditions.map { c -> [String: Any] in
            ["label": c.label, "value": ConditionResult.display(c.value), "threshold": "≥ " + ConditionResult.display(c.threshold), "holds": c.holds]
        }
        let columns = Set(item.figures.reporters.values.flatMap(\.keys)).sorted()
        view["countColumns"] = columns
        view["reporterRows"] = item.figures.reporters.keys.sorted().map { reporter -> [String: Any] in
            let counts = item.figures.reporters[reporter] ?? [:]
            return ["reporter": reporter, "counts": columns.map { String(counts[$0] ?? 0) }]
        }
        if let svg = caseEvidence.timelineSVG { view["timelineSVG"] = Self.inlineSVG(svg) }
        let shown = Self.perReporter(caseEvidence.samples, limit: 5)
        view["samples"] = shown.map { s -> [String: Any] in
            ["reporter": s.reporter, "file": s.file, "sha256": s.sha256, "line": s.line, "offset": String(s.offset), "text": s.text]
        }
        view["sampleNote"] =
            shown.isEmpty
            ? "No sample lines in the window (the archive holds none for these addresses)."
            : "\(shown.count) of the bundle's \(caseEvidence.excerptCount) excerpts (up to 5 per reporter), each traceable to its archived file, line and byte offset"
                + (unredacted ? "." : "; recipients pseudonymised.")
        if caseEvidence.problems.isEmpty {
            view["verification"] = "The bundle verifies: every file's SHA-256, the Ed25519 signature of the manifest, and all \(caseEvidence.excerptCount) excerpts against the archived shipments."
            view["verificationClass"] = "good"
        } else {
            view["verification"] = "The bundle does NOT verify: " + caseEvidence.problems.prefix(5).joined(separator: "; ")
            view["verificationClass"] = "bad"
        }
        view["history"] = audit.map { e -> [String: Any] in
            ["time": Self.time(e.time), "actor": e.actor, "action": e.action, "from": e.fromStatus?.rawValue ?? "—", "to": e.toStatus?.rawValue ?? "—", "reason": e.reason]
        }
        let notices = try store.engine.notices(caseID: item.id)
        view["hasNotices"] = !notices.isEmpty
        view["notices"] = notices.map { n -> [String: Any] in
            [
                "what": n.kind == .report ? n.title + " (ARF)" : n.title, "to": n.recipient, "status": n.status.rawValue,
                "attempts": n.attempts, "at": Self.time(n.updated), "reply": n.reply.isEmpty ? "—" : n.reply,
            ]
        }
        view["decisions"] = decisions(for: item, visit: visit)
        return WebPage.html(status, render("case", view, title: "Case \(item.id)", visit: visit))
    }

    /// The decision forms open to `visit` on a case in its status.
    func decisions(for item: EnforcementCase, visit: Visit) -> [[String: Any]] {
        let texts: [CaseDecision: (title: String, button: String, explanation: String)] = [
            .approve: ("Approve", "Approve", "Confirms the case; a provisional suspension becomes final (DNS keeps answering 127.0.0.3)."),
            .dismiss: ("Dismiss", "Dismiss", "Closes the case as unfounded; a provisional suspension is lifted and the registration restored."),
            .reinstate: ("Reinstate (admin)", "Reinstate", "Restores the registration the case suspended."),
        ]
        return CaseDecision.allCases.compactMap { decision -> [String: Any]? in
            if decision == .reinstate, !visit.isAdmin { return nil }
            guard (try? decision.outcome(from: item.status, suspended: item.priorStatus != nil)) != nil, let text = texts[decision] else { return nil }
            return [
                "target": item.id, "decision": decision.rawValue, "title": text.title, "button": text.button, "explanation": text.explanation,
                "expected": item.status.rawValue, "danger": decision != .approve,
            ]
        }
    }

    func decide(_ id: String, action: String, form: FormFields, visit: Visit, context: ServerContext) async throws -> Response {
        if action == "unredacted" {
            guard visit.isAdmin else { return try forbidden(visit, context, what: "unredacted view of \(id)") }
            guard let reason = form.text("reason") else {
                return message(.badRequest, "A reason is needed", "Say why the recipients must be seen unredacted.", visit: visit, link: ("/cases/\(id)", "Back to the case"))
            }
            do {
                try store.engine.recordUnredactedView(caseID: id, by: visit.member.name, reason: String(reason.prefix(2000)), at: now)
            } catch EngineStore.CaseError.noSuchCase {
                return message(.notFound, "No such case", "There is no case \(id).", visit: visit)
            }
            logger.notice("case viewed unredacted", metadata: ["case": "\(id)", "staff": "\(visit.member.name)"])
            return try casePage(id, visit, flash: nil, unredacted: true)
        }
        guard let decision = CaseDecision(rawValue: action) else { return message(.notFound, "Not found", "No such action.", visit: visit) }
        if decision == .reinstate, !visit.isAdmin { return try forbidden(visit, context, what: "reinstate \(id)") }
        guard let reason = form.text("reason") else {
            return message(.badRequest, "A reason is needed", "Every decision needs a reason; nothing was decided.", visit: visit, link: ("/cases/\(id)", "Back to the case"))
        }
        let expected = form["expected_status"].flatMap(EnforcementCase.Status.init(rawValue:))
        do {
            try enforcement.decide(decision, caseID: id, by: visit.member.name, reason: String(reason.prefix(2000)), expecting: expected)
        } catch EngineStore.CaseError.noSuchCase {
            return message(.notFound, "No such case", "There is no case \(id).", visit: visit, link: ("/", "Back to the queue"))
        } catch EngineStore.CaseError.changedMeanwhile(_, let status) {
            return try casePage(
                id, visit, flash: "The case changed while you were looking at it: it is now \(status.rawValue). Nothing was decided; review it again and decide.",
                status: .conflict)
        } catch let refusal as CaseDecision.Refusal {
            return try casePage(id, visit, flash: "Not decided: \(refusal.description).", status: .conflict)
        }
        return WebPage.redirect("/cases/\(FormFields.encode(id))?done=\(decision.rawValue)")
    }

    func bundleZip(_ id: String) throws -> Response {
        guard id.utf8.count <= 40, id.utf8.allSatisfy({ $0 == 0x2D || ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) }) else {
            return WebPage.html(.notFound, "no such case")
        }
        let zip: Data
        do {
            zip = try exporter.bundle(caseID: id).zipData()
        } catch EvidenceExporter.ExportError.noSuchCase {
            return WebPage.html(.notFound, "no such case")
        }
        return WebPage.file(zip, contentType: "application/zip", headers: [(HTTPField.Name("Content-Disposition")!, "attachment; filename=\"\(id).zip\"")])
    }

    static func registrationRow(_ r: RegistrationDocument) -> [String: Any] {
        var row: [String: Any] = [
            "since": r.since, "network": r.network, "status": r.status, "provisional": r.provisional, "registrant": r.registrant, "abuseContact": r.abuseContact,
            "cause": r.cause,
        ]
        row["caseID"] = r.caseID.map { $0 as Any } ?? false
        return row
    }

    /// The timeline as inline SVG: without its XML declaration, if any.
    static func inlineSVG(_ svg: String) -> String {
        guard let start = svg.range(of: "<svg") else { return "" }
        return String(svg[start.lowerBound...])
    }

    static func perReporter(_ samples: [CaseEvidence.Sample], limit: Int) -> [CaseEvidence.Sample] {
        var seen: [String: Int] = [:]
        return samples.filter { s in
            seen[s.reporter, default: 0] += 1
            return seen[s.reporter]! <= limit
        }
    }
}
