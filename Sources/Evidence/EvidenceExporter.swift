import Crypto
import EnforcementEngine
import Foundation
import GRDB
import LogParsers
import Primitives
import RegistryClient

/// Builds a case's evidence bundle from the store and the archived shipments: excerpts read
/// back byte for byte by line and offset, their index, an hourly timeline, a manifest
/// listing every file's SHA-256, and the registry's Ed25519 signature of the manifest.
public struct EvidenceExporter: Sendable {
    public let store: EngineStore
    public let dataFolder: URL
    public let key: RegistryKey

    /// The registry's mail domain (From of the abuse reports).
    public let registryDomain: String

    public init(store: EngineStore, dataFolder: URL, key: RegistryKey, registryDomain: String = "registry.example") {
        self.store = store
        self.dataFolder = dataFolder
        self.key = key
        self.registryDomain = registryDomain
    }

    /// Why a bundle cannot be made: the case, or a line its samples point at.
    public enum ExportError: Error, Equatable, CustomStringConvertible {
        case noSuchCase(String)
        case shipmentNotRecorded(caseID: String, shipment: Int64)
        /// A sample's line is not in the archive (or not where the sample says).
        case missingExcerpt(caseID: String, reason: String)

        public var description: String {
            switch self {
            case .noSuchCase(let id): "no case \(id)"
            case .shipmentNotRecorded(let id, let shipment): "case \(id): shipment \(shipment) of a sample is not recorded"
            case .missingExcerpt(let id, let reason): "case \(id): \(reason)"
            }
        }
    }

    /// Whether recipients in excerpts and reports are pseudonymised. Disclosing them is an
    /// admin's named choice, written to the case's audit log by the export itself.
    public enum Redaction: Sendable, Equatable {
        case pseudonymised
        case unredacted(by: String, reason: String)
    }

    /// Exports a case's bundle to `path` (a folder, or a zip when it ends in `.zip`; an
    /// existing folder that is no bundle gets it in a folder named after the case). An
    /// unredacted export is audited first: a disclosure attempt is on record even when
    /// writing then fails. Returns where it went.
    @discardableResult
    public func export(caseID: String, to path: URL, samplesPerReporter: Int = 20, redaction: Redaction = .pseudonymised, at time: Int64) throws -> (bundle: EvidenceBundle, path: URL) {
        let redacted: Bool
        switch redaction {
        case .pseudonymised:
            redacted = true
        case .unredacted(let actor, let reason):
            try store.recordUnredactedExport(caseID: caseID, by: actor, reason: reason, at: time)
            redacted = false
        }
        let bundle = try self.bundle(caseID: caseID, samplesPerReporter: samplesPerReporter, redacted: redacted)
        let destination = EvidenceBundle.destination(for: path, caseID: caseID)
        try bundle.write(to: destination)
        return (bundle, destination)
    }

    /// The bundle of a case, in memory. With `redacted` (the default) recipient local parts
    /// in the excerpts and reports are pseudonymised (`export` audits an unredacted one).
    public func bundle(caseID: String, samplesPerReporter: Int = 20, redacted: Bool = true) throws -> EvidenceBundle {
        guard let (item, _) = try store.enforcementCase(id: caseID) else { throw ExportError.noSuchCase(caseID) }
        let figures = item.figures
        let addresses = item.addresses
        let window = item.window
        var files: [String: Data] = [:]
        var index: [String] = []
        if !addresses.isEmpty {
            let pseudonymiser = redacted ? RecipientPseudonymiser(key: key.pseudonymKey, caseID: item.id) : nil
            var excerpts = try excerpts(caseID: item.id, addresses: addresses, window: window, perReporter: samplesPerReporter)
            var facts: [ExcerptFacts] = []
            for reporter in excerpts.keys.sorted() {
                let zone = try store.reporter(id: reporter).flatMap { TimeZone(identifier: $0.timezone) }
                let name = "excerpts/\(reporter).log"
                var data = Data()
                for n in excerpts[reporter]!.indices {
                    let excerpt = excerpts[reporter]![n]
                    let fact = ExcerptFacts.read(excerpt.bytes, timeZone: zone, reference: item.windowEnd)
                    facts.append(fact)
                    var shown = excerpt.bytes
                    var redactions: [RecipientPseudonymiser.Redaction] = []
                    if let pseudonymiser { (shown, redactions) = pseudonymiser.redact(excerpt.bytes, parsedRecipient: fact.recipient) }
                    excerpts[reporter]![n].bytes = shown
                    data.append(contentsOf: shown)
                    data.append(0x0A)
                    let redactionJSON = redactions.map {
                        Self.jsonObject([("length", String($0.length)), ("offset", String($0.offset)), ("pseudonym", Self.json($0.pseudonym))])
                    }
                    index.append(
                        Self.jsonObject([
                            ("excerpt", Self.json(name)), ("excerpt_line", String(n + 1)), ("file", Self.json(excerpt.file)),
                            ("line", String(excerpt.line)), ("offset", String(excerpt.offset)), ("redactions", "[" + redactionJSON.joined(separator: ",") + "]"),
                            ("reporter", Self.json(reporter)), ("sha256", Self.json(excerpt.sha256)),
                        ]))
                }
                files[name] = data
            }
            let timeline = try timeline(addresses: addresses, from: item.windowStart, to: item.windowEnd)
            files["timeline.csv"] = timeline.csv()
            files["timeline.svg"] = timeline.svg(caseID: item.id, subject: item.subject)
            let incidents = Self.incidents(figures)
            if let report = try arf(item, figures: figures, incidents: incidents, excerpts: excerpts) { files["report.eml"] = report }
            var evidence = excerpts.keys.sorted().map { reporter in
                XARFReport.EvidenceItem(
                    contentType: "text/plain", description: "Log lines shipped by \(reporter), as archived (excerpts/\(reporter).log)",
                    data: files["excerpts/\(reporter).log"]!)
            }
            evidence.append(XARFReport.EvidenceItem(contentType: "text/csv", description: "Hourly events per reporter and kind (timeline.csv)", data: files["timeline.csv"]!))
            let seen = Self.seen(timeline: timeline, excerptTimes: facts.compactMap(\.time), window: (item.windowStart, item.windowEnd))
            files["report.xarf.json"] = XARFReport.render(
                XARFReport.Input(
                    caseID: item.id, subject: Self.source(item, addresses: addresses, facts: facts), ruleID: item.ruleID, kind: XARFReport.Kind.of(figures),
                    firstSeen: seen.first, lastSeen: seen.last,
                    senders: facts.compactMap(\.sender), ports: facts.compactMap(\.clientPort), events: incidents, reporters: figures.reporters.count,
                    evidence: evidence, registryDomain: registryDomain))
        }
        files["excerpts/index.jsonl"] = Data(index.map { $0 + "\n" }.joined().utf8)
        let fileHashes = files.keys.sorted().map { ($0, Self.json(EvidenceBundle.sha256(files[$0]!))) }
        let manifest = Self.jsonObject([
            ("case", Self.json(item.id)), ("figures", item.figures.json), ("files", Self.jsonObject(fileHashes)), ("redacted", redacted ? "true" : "false"),
            ("registration", try item.registration.map { try CanonicalJSON.string(RegistrationDocument($0)) } ?? "null"), ("rule", Self.json(item.ruleID)),
            ("rule_sha256", Self.json(item.ruleSHA256)), ("severity", Self.json(item.severity.rawValue)), ("signing_key", Self.json(key.fingerprint)),
            ("subject", Self.json(item.subject)), ("subject_kind", Self.json(item.subjectKind.rawValue)),
            ("version", "1"),
            ("window", Self.jsonObject([("end", Self.json(ISOTime.format(millis: item.windowEnd, fraction: false))), ("start", Self.json(ISOTime.format(millis: item.windowStart, fraction: false)))])),
        ]) + "\n"
        let manifestData = Data(manifest.utf8)
        let signature = try key.privateKey.signature(for: Data(SHA256.hash(data: manifestData)))
        return EvidenceBundle(files: files, manifest: manifestData, signature: Data((signature.base64EncodedString() + "\n").utf8), date: item.opened)
    }

    /// The events the case counts: its rule's first count, or every event of the figures.
    static func incidents(_ figures: CaseFigures) -> Int {
        figures.conditions.first { $0.label.hasPrefix("count ") }.map { Int($0.value) }
            ?? figures.reporters.values.reduce(0) { $0 + $1.filter { !$0.key.contains(".") }.values.reduce(0, +) }
    }

    /// First and last activity in the window: an excerpt's exact time when it falls in the
    /// first (last) hour with events, else that hour's bound; the window when there is none.
    static func seen(timeline: Timeline, excerptTimes: [Int64], window: (Int64, Int64)) -> (first: Int64, last: Int64) {
        let hours = timeline.counts.keys.map(\.hour)
        guard let firstHour = hours.min(), let lastHour = hours.max() else { return (window.0, window.1) }
        let inFirst = excerptTimes.filter { $0 >= firstHour && $0 < firstHour + 3_600_000 }.min()
        let inLast = excerptTimes.filter { $0 >= lastHour && $0 < lastHour + 3_600_000 }.max()
        return (inFirst ?? max(firstHour, window.0), inLast ?? min(lastHour + 3_599_000, window.1))
    }

    /// The address a report names as its source: the subject, or for a registrant the
    /// address with the most excerpt lines (then the lowest).
    static func source(_ item: EnforcementCase, addresses: [IPAddress], facts: [ExcerptFacts]) -> String {
        if item.subjectKind == .ip { return item.subject }
        var lines: [IPAddress: Int] = [:]
        for fact in facts { if let ip = fact.clientIP { lines[ip, default: 0] += 1 } }
        return (addresses.max { (lines[$0] ?? 0, $1) < (lines[$1] ?? 0, $0) } ?? addresses[0]).description
    }

    /// The ARF report to the registration's abuse contact (none for an unregistered subject).
    func arf(_ item: EnforcementCase, figures: CaseFigures, incidents: Int, excerpts: [String: [Excerpt]]) throws -> Data? {
        guard let record = item.registration else { return nil }
        return ARFReport.render(
            ARFReport.Input(
                caseID: item.id, subjectIP: item.subject, ruleID: item.ruleID, ruleDescription: "", abuseContact: record.abuseContact,
                registrant: record.registrant, opened: item.opened, windowStart: item.windowStart, windowEnd: item.windowEnd, incidents: incidents,
                figures: figures.reporters, excerpts: excerpts.keys.sorted().map { ($0, excerpts[$0]!.map(\.bytes)) }, registryDomain: registryDomain))
    }

    struct Excerpt {
        var file: String
        var sha256: String
        var line: Int
        var offset: UInt64
        var bytes: [UInt8]
    }

    /// Per reporter, up to `perReporter` sample lines read from the archive; any line that
    /// is not where its reference says stops the export.
    func excerpts(caseID: String, addresses: [IPAddress], window: SampleWindow, perReporter: Int) throws -> [String: [Excerpt]] {
        var result: [String: [Excerpt]] = [:]
        for sample in try store.sampleLines(addresses: addresses, window: window, perReporter: perReporter, dataFolder: dataFolder) {
            let entry = sample.entry
            guard let shipment = sample.shipment else { throw ExportError.shipmentNotRecorded(caseID: caseID, shipment: entry.shipmentID) }
            guard let archived = sample.archived else { throw ExportError.missingExcerpt(caseID: caseID, reason: sample.problem ?? "line \(entry.line) is not in the archive") }
            guard archived.offset == entry.offset else {
                throw ExportError.missingExcerpt(caseID: caseID, reason: "line \(entry.line) of shipment \(shipment.sha256) is not where the sample says")
            }
            result[sample.reporter, default: []].append(
                Excerpt(file: shipment.fileName, sha256: shipment.sha256, line: entry.line, offset: entry.offset, bytes: archived.bytes))
        }
        for key in result.keys { result[key]!.sort { ($0.sha256, $0.line) < ($1.sha256, $1.line) } }
        return result
    }

    /// Hourly counts per reporter and kind over the window, from the stored aggregates.
    func timeline(addresses: [IPAddress], from: Int64, to: Int64) throws -> Timeline {
        var timeline = Timeline(windowStart: from, windowEnd: to)
        for item in try addresses.flatMap({ try store.records(of: $0) }) {
            let day = Int64(item.record.day)
            for entry in item.record.counts {
                guard let kind = EventKind(rawValue: entry.kind) else { continue }
                timeline.add(hour: (day * 24 + Int64(entry.hourOfDay)) * 3_600_000, reporter: item.reporter, kind: kind, count: entry.count)
            }
        }
        return timeline
    }

    static func json(_ text: String) -> String {
        var out: [UInt8] = []
        JSONBytes.appendString(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func jsonObject(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { "\(json($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }
}
