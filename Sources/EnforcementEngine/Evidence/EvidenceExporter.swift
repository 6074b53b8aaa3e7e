import Crypto
import Foundation
import GRDB
import LogParsers
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

    public struct ExportError: Error, CustomStringConvertible {
        public var description: String
    }

    public func bundle(caseID: String, samplesPerReporter: Int = 20) throws -> EvidenceBundle {
        guard let (item, _) = try store.enforcementCase(id: caseID) else { throw ExportError(description: "no case \(caseID)") }
        var files: [String: Data] = [:]
        var index: [String] = []
        if let ip = IPAddress(item.subject) {
            let excerpts = try excerpts(ip: ip, perReporter: samplesPerReporter)
            if let report = try arf(item, excerpts: excerpts) { files["report.eml"] = report }
            for (reporter, lines) in excerpts.sorted(by: { $0.key < $1.key }) {
                let name = "excerpts/\(reporter).log"
                var data = Data()
                for (n, excerpt) in lines.enumerated() {
                    data.append(contentsOf: excerpt.bytes)
                    data.append(0x0A)
                    index.append(
                        Self.jsonObject([
                            ("excerpt", Self.json(name)), ("excerpt_line", String(n + 1)), ("file", Self.json(excerpt.file)),
                            ("line", String(excerpt.line)), ("offset", String(excerpt.offset)), ("reporter", Self.json(reporter)),
                            ("sha256", Self.json(excerpt.sha256)),
                        ]))
                }
                files[name] = data
            }
            files["timeline.csv"] = try timeline(ip: ip, from: item.windowStart, to: item.windowEnd)
        }
        files["excerpts/index.jsonl"] = Data(index.map { $0 + "\n" }.joined().utf8)
        let fileHashes = files.keys.sorted().map { ($0, Self.json(EvidenceBundle.sha256(files[$0]!))) }
        let manifest = Self.jsonObject([
            ("case", Self.json(item.id)), ("figures", item.figures), ("files", Self.jsonObject(fileHashes)),
            ("registration", item.registration ?? "null"), ("rule", Self.json(item.ruleID)), ("rule_sha256", Self.json(item.ruleSHA256)),
            ("severity", Self.json(item.severity)), ("subject", Self.json(item.subject)), ("subject_kind", Self.json(item.subjectKind)),
            ("version", "1"),
            ("window", Self.jsonObject([("end", Self.json(ISOTime.format(millis: item.windowEnd, fraction: false))), ("start", Self.json(ISOTime.format(millis: item.windowStart, fraction: false)))])),
        ]) + "\n"
        let manifestData = Data(manifest.utf8)
        let signature = try key.privateKey.signature(for: Data(SHA256.hash(data: manifestData)))
        return EvidenceBundle(files: files, manifest: manifestData, signature: Data((signature.base64EncodedString() + "\n").utf8))
    }

    /// The ARF report to the registration's abuse contact (none for an unregistered subject).
    func arf(_ item: EnforcementCase, excerpts: [String: [Excerpt]]) throws -> Data? {
        guard let json = item.registration, let record = try? JSONDecoder().decode(RegistrationRecord.self, from: Data(json.utf8)) else { return nil }
        let figures = try JSONDecoder().decode(CaseFigures.self, from: Data(item.figures.utf8))
        let incidents = figures.conditions.first { $0.label.hasPrefix("count ") }.map { Int($0.value) }
            ?? figures.reporters.values.reduce(0) { $0 + $1.values.reduce(0, +) }
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
    func excerpts(ip: IPAddress, perReporter: Int) throws -> [String: [Excerpt]] {
        var result: [String: [Excerpt]] = [:]
        for sample in try store.sampleLines(ip: ip, perReporter: perReporter, dataFolder: dataFolder) {
            let entry = sample.entry
            guard let shipment = sample.shipment else { throw ExportError(description: "shipment \(entry.shipmentID) of a sample is not recorded") }
            guard let archived = sample.archived else { throw ExportError(description: sample.problem ?? "line \(entry.line) is not in the archive") }
            guard archived.offset == entry.offset else {
                throw ExportError(description: "line \(entry.line) of shipment \(entry.shipmentID) is not where the sample says")
            }
            result[sample.reporter, default: []].append(
                Excerpt(file: shipment.fileName, sha256: shipment.sha256, line: entry.line, offset: entry.offset, bytes: archived.bytes))
        }
        for key in result.keys { result[key]!.sort { ($0.sha256, $0.line) < ($1.sha256, $1.line) } }
        return result
    }

    /// `hour,reporter,kind,count` for the window, hour by hour.
    func timeline(ip: IPAddress, from: Int64, to: Int64) throws -> Data {
        var rows: [String: Int] = [:]
        try store.database.read { db in
            let cursor = try Row.fetchCursor(db, sql: "SELECT reporter_id, day, counts FROM event_day WHERE ip = ? AND day BETWEEN ? AND ?", arguments: [IPKey.bytes(ip), from / 86_400_000, to / 86_400_000])
            while let row = try cursor.next() {
                let reporter: String = row[0]
                let day: Int64 = row[1]
                for entry in try DayCounts.decode(row[2]) {
                    let hourStart = (day * 24 + Int64(entry.hourOfDay)) * 3_600_000
                    guard hourStart >= from / 3_600_000 * 3_600_000, hourStart < to, let kind = EventKind(rawValue: entry.kind) else { continue }
                    rows["\(ISOTime.format(millis: hourStart, fraction: false)),\(reporter),\(kind.name)", default: 0] += entry.count
                }
            }
        }
        var text = "hour,reporter,kind,count\n"
        for key in rows.keys.sorted() { text += "\(key),\(rows[key]!)\n" }
        return Data(text.utf8)
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
