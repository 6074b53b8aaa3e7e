import ArgumentParser
import EnforcementEngine
import Evidence
import Foundation
import LogParsers
import Primitives
import RegistryClient

extension AbuseIngestCommand {
    struct Cases: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What enforcement staff review: list, show, approve, dismiss, reinstate.",
            subcommands: [List.self, Show.self, Approve.self, Dismiss.self, Reinstate.self]
        )

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List cases.")
            @OptionGroup var global: GlobalOptions
            @Option(help: "Only this status (open, suspended, confirmed, dismissed, reinstated).") var status: String?
            @Flag(help: "Print a JSON array (FORMATS.md §1).") var json = false

            func validate() throws {
                if let status, EnforcementCase.Status(rawValue: status) == nil { throw ValidationError("--status '\(status)' is not a case status") }
            }

            func run() throws {
                let cases = try global.engineStore().cases(status: status.flatMap(EnforcementCase.Status.init))
                if json {
                    print(try JSONText.encode(try cases.map(CaseJSON.init)))
                    return
                }
                if cases.isEmpty { print("no cases") }
                for c in cases {
                    print("\(c.id) \(c.status) \(c.severity) \(c.subject) \(c.ruleID) → \(c.action) (opened \(ISOTime.format(millis: c.opened, fraction: false)))")
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "A case: figures, history and the registration it concerns.")
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Print JSON.") var json = false
            @Argument(help: "Case id (C-YYYY-NNNNNN).") var id: String

            func run() throws {
                let store = try global.engineStore()
                guard let (item, audit) = try store.enforcementCase(id: id) else {
                    Terminal.reportError("no case \(id)")
                    throw ExitStatus.usage
                }
                let window = SampleWindow(from: item.windowStart, to: item.windowEnd)
                let samples = try store.samples(of: try item.addresses(), window: window, perReporter: 5, dataFolder: global.dataFolder)
                let figures = try item.decodedFigures()
                if json {
                    var document = try CaseJSON(item)
                    document.figures = figures
                    document.history = audit.map(AuditJSON.init)
                    document.registrationRecord = try item.registrationRecord().map(RegistrationDocument.init)
                    document.samples = samples
                    print(try JSONText.encode(document))
                    return
                }
                let windowText = "\(ISOTime.format(millis: item.windowStart, fraction: false)) to \(ISOTime.format(millis: item.windowEnd, fraction: false))"
                print("\(item.id): \(item.status), severity \(item.severity)")
                print("subject: \(item.subject) (\(item.subjectKind))\(item.registrant.map { ", registrant \($0)" } ?? "")")
                if let addresses = figures.addresses { print("addresses: \(addresses.joined(separator: ", "))") }
                print("rule: \(item.ruleID) (file sha256 \(item.ruleSHA256)) → \(item.action)")
                print("window: \(windowText)")
                print("figures:")
                for condition in figures.conditions {
                    print("  \(condition.holds ? "✔" : "✘") \(condition.label): \(ConditionResult.display(condition.value)) (needs ≥ \(ConditionResult.display(condition.threshold)))")
                }
                for reporter in figures.reporters.keys.sorted() {
                    let counts = figures.reporters[reporter]!.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                    print("  \(reporter): \(counts)")
                }
                print(samples.isEmpty ? "samples: none in the window \(windowText)" : "samples from the window \(windowText):")
                for sample in samples {
                    // Log text is the client's: control characters are shown escaped.
                    let text = (sample.text ?? "(not in the archive)").unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
                    print("  \(sample.reporter) \(sample.file):\(sample.line) (byte \(sample.offset), \(sample.selector)): \(text)")
                }
                let bundle = EvidenceLocation.folder(dataFolder: global.dataFolder, caseID: item.id)
                if FileManager.default.fileExists(atPath: bundle.appendingPathComponent("manifest.json").path), let key = try RegistryKey.load(dataFolder: global.dataFolder) {
                    let problems = EvidenceVerifier(publicKey: key.privateKey.publicKey, archiveFolder: global.dataFolder).verify(bundle)
                    print("evidence: \(bundle.path) — \(problems.isEmpty ? "verified" : "FAILS: " + problems.joined(separator: "; "))")
                } else {
                    print("evidence: not exported (abuse-ingest evidence export \(item.id) --out \(bundle.path))")
                }
                print("history:")
                for entry in audit {
                    print("  \(ISOTime.format(millis: entry.time, fraction: false)) \(entry.actor): \(entry.action) \(entry.fromStatus ?? "-") → \(entry.toStatus ?? "-"): \(entry.reason)")
                }
            }
        }

        struct Approve: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Confirm a case (a provisional suspension becomes final).")
            @OptionGroup var decision: DecisionOptions
            func run() throws { try decision.apply(.approve) }
        }

        struct Dismiss: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Dismiss a case (a provisional suspension is lifted: the prior status is restored).")
            @OptionGroup var decision: DecisionOptions
            func run() throws { try decision.apply(.dismiss) }
        }

        struct Reinstate: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Reinstate a suspended server (its prior status is restored).")
            @OptionGroup var decision: DecisionOptions
            func run() throws { try decision.apply(.reinstate) }
        }
    }
}

struct DecisionOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    @Option(help: "Who decides (staff name, in the audit log).") var by: String
    @Option(help: "Why (in the audit log).") var reason: String
    @Argument(help: "Case id.") var id: String

    func validate() throws {
        guard !by.trimmingCharacters(in: .whitespaces).isEmpty, by.count <= 100, by != "engine" else { throw ValidationError("--by must name a person (1–100 characters, not 'engine')") }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty, reason.count <= 2000 else { throw ValidationError("--reason must say why (1–2000 characters)") }
    }

    func apply(_ decision: CaseDecision) throws {
        let store = try global.engineStore()
        do {
            let item = try store.decide(decision, caseID: id, by: by, reason: reason, at: Clock.nowMillis())
            print("\(item.id): \(item.status)")
        } catch let refusal as CaseDecision.Refusal {
            Terminal.reportError("\(refusal) (\(id))")
            throw ExitStatus.usage
        } catch let error as EngineStore.CaseError {
            Terminal.reportError(error.description)
            throw ExitStatus.usage
        }
    }
}

/// `cases list --json` objects (FORMATS.md §1); `cases show --json` adds figures and history.
struct CaseJSON: Encodable {
    var id, subject, subjectKind: String
    var registrant: String?
    var rule, ruleSHA256, action, severity, status, opened, updated: String
    var reporters: [String]
    var figures: CaseFigures?
    var history: [AuditJSON]?
    var registrationRecord: RegistrationDocument?
    var samples: [EngineStore.CaseSample]?

    init(_ c: EnforcementCase) throws {
        id = c.id
        subject = c.subject
        subjectKind = c.subjectKind
        registrant = c.registrant
        rule = c.ruleID
        ruleSHA256 = c.ruleSHA256
        action = c.action
        severity = c.severity
        status = c.status
        opened = ISOTime.format(millis: c.opened, fraction: false)
        updated = ISOTime.format(millis: c.updated, fraction: false)
        reporters = try c.decodedReporters()
    }

    enum CodingKeys: String, CodingKey {
        case id, subject
        case subjectKind = "subject_kind"
        case registrant, rule
        case ruleSHA256 = "rule_sha256"
        case action, severity, status, opened, updated, reporters, figures, history
        case registrationRecord = "registration"
        case samples
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(subject, forKey: .subject)
        try c.encode(subjectKind, forKey: .subjectKind)
        try c.encode(registrant, forKey: .registrant)
        try c.encode(rule, forKey: .rule)
        try c.encode(ruleSHA256, forKey: .ruleSHA256)
        try c.encode(action, forKey: .action)
        try c.encode(severity, forKey: .severity)
        try c.encode(status, forKey: .status)
        try c.encode(opened, forKey: .opened)
        try c.encode(updated, forKey: .updated)
        try c.encode(reporters, forKey: .reporters)
        if let figures { try c.encode(figures, forKey: .figures) }
        if let history { try c.encode(history, forKey: .history) }
        if let registrationRecord { try c.encode(registrationRecord, forKey: .registrationRecord) }
        if let samples { try c.encode(samples, forKey: .samples) }
    }
}

struct AuditJSON: Encodable {
    var time, actor, action: String
    var from, to: String?
    var reason: String

    init(_ e: AuditEntry) {
        time = ISOTime.format(millis: e.time, fraction: false)
        actor = e.actor
        action = e.action
        from = e.fromStatus
        to = e.toStatus
        reason = e.reason
    }
}

