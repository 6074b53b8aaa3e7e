import Primitives
import RegistryClient

/// A reference model of the zone's owner names and answers, computed the plain way over
/// the whole registry at once (a map of every owner, then every empty non-terminal filled
/// from the nearest wildcard above it), for checking the streamed `ZoneExport.forEachAnswer`.
struct ZoneAnswerModel {
    struct Answer: Hashable {
        var owner: String
        var code: UInt8
        var text: String
    }

    static func answers(_ export: ZoneExport, _ records: [RegistrationRecord]) throws -> Set<Answer> {
        var entries: [String: Answer] = [:]
        for family in [4, 6] {
            var map: [String: (answer: Answer, length: Int)] = [:]
            for record in records where record.family == family {
                guard let code = record.registrationStatus.dnsAnswer?.3 else { continue }
                let text = modelText(record)
                for owner in try export.owners(record.ipNetwork) where (map[owner]?.length ?? -1) < record.prefixLength {
                    map[owner] = (Answer(owner: owner, code: code, text: text), record.prefixLength)
                }
            }
            var ancestors = Set<String>()
            for owner in map.keys {
                var labels = owner.split(separator: ".").map(String.init).dropFirst()
                while !labels.isEmpty {
                    ancestors.insert(labels.joined(separator: "."))
                    labels.removeFirst()
                }
            }
            let byDepth = ancestors.sorted { ($0.split(separator: ".").count, $0) < ($1.split(separator: ".").count, $1) }
            for ancestor in byDepth where map["*." + ancestor] == nil {
                var labels = ancestor.split(separator: ".").map(String.init)
                while !labels.isEmpty {
                    labels.removeFirst()
                    if let covering = map[labels.isEmpty ? "*" : "*." + labels.joined(separator: ".")] {
                        map["*." + ancestor] = (Answer(owner: "*." + ancestor, code: covering.answer.code, text: covering.answer.text), covering.length)
                        break
                    }
                }
            }
            for (owner, entry) in map where entries[owner] == nil { entries[owner] = entry.answer }
        }
        return Set(entries.values)
    }

    /// The TXT text as FORMATS.md §4 gives it.
    static func modelText(_ record: RegistrationRecord) -> String {
        "v=reg1; status=\(record.status); registrant=\(record.registrant)" + (record.caseID.map { "; case=\($0)" } ?? "")
    }
}
