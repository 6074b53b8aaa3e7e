import EnforcementEngine
import Evidence
import Foundation
import Primitives
import Synchronization

/// What a case page shows of the case's evidence bundle: the timeline chart, the sample
/// lines (recipients pseudonymised unless unredacted), and whether the bundle verifies.
/// Built from the same bundle `evidence export` writes.
struct CaseEvidence: Sendable {
    struct Sample: Sendable {
        var reporter, file, sha256, text: String
        var line: Int
        var offset: UInt64
    }

    var timelineSVG: String?
    var samples: [Sample]
    /// Problems `evidence verify` would report; empty: it verifies.
    var problems: [String]
    var excerptCount: Int

    /// Reads the bundle's excerpts back through its index (`excerpts/index.jsonl`).
    init(bundle: EvidenceBundle, verifier: EvidenceVerifier) {
        timelineSVG = bundle.files["timeline.svg"].map { String(decoding: $0, as: UTF8.self) }
        var lines: [String: [Substring]] = [:]
        var samples: [Sample] = []
        for raw in (bundle.files["excerpts/index.jsonl"] ?? Data()).split(separator: 0x0A) {
            guard let entry = EvidenceIndexLine(Data(raw)) else { continue }
            if lines[entry.excerpt] == nil {
                let text = String(decoding: bundle.files[entry.excerpt] ?? Data(), as: UTF8.self)
                lines[entry.excerpt] = text.split(separator: "\n", omittingEmptySubsequences: false)
            }
            let text = lines[entry.excerpt].flatMap { entry.excerptLine >= 1 && entry.excerptLine <= $0.count ? String($0[entry.excerptLine - 1]) : nil } ?? ""
            samples.append(
                Sample(reporter: entry.reporter ?? "", file: entry.file ?? "", sha256: entry.sha256, text: text, line: entry.line, offset: entry.offset))
        }
        self.samples = samples
        excerptCount = samples.count
        problems = verifier.verify(files: bundle.allFiles)
    }
}

/// Case evidence by case id and last change: building a bundle reads the archive, so a case
/// page reuses it until the case changes. Bounded to the most recent `capacity` cases.
final class CaseEvidenceCache: Sendable {
    private struct Entry {
        var updated: Int64
        var evidence: CaseEvidence
        var used: UInt64
    }

    private let entries = Mutex<(map: [String: Entry], clock: UInt64)>(([:], 0))
    let capacity: Int

    init(capacity: Int = 256) { self.capacity = capacity }

    func evidence(caseID: String, updated: Int64, build: () throws -> CaseEvidence) rethrows -> CaseEvidence {
        let cached = entries.withLock { state -> CaseEvidence? in
            state.clock += 1
            guard var entry = state.map[caseID], entry.updated == updated else { return nil }
            entry.used = state.clock
            state.map[caseID] = entry
            return entry.evidence
        }
        if let cached { return cached }
        let evidence = try build()
        entries.withLock { state in
            if state.map.count >= capacity, state.map[caseID] == nil, let stalest = state.map.min(by: { $0.value.used < $1.value.used }) {
                state.map.removeValue(forKey: stalest.key)
            }
            state.map[caseID] = Entry(updated: updated, evidence: evidence, used: state.clock)
        }
        return evidence
    }
}
