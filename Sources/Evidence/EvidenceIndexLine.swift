import Foundation
import Primitives

/// One line of a bundle's `excerpts/index.jsonl`: where an excerpt line came from (the
/// shipped file's SHA-256, line and byte offset, its reporter and file name) and where it
/// sits among the excerpts. Read by `evidence verify` and by the review UI's case page.
public struct EvidenceIndexLine: Decodable, Sendable {
    public var sha256: String
    public var line: Int
    public var offset: UInt64
    /// The excerpt file (`excerpts/REPORTER.log`) and the line in it (from 1).
    public var excerpt: String
    public var excerptLine: Int
    /// Absent in bundles written before recipient pseudonyms (none).
    var redactions: [RecipientPseudonymiser.Redaction]?
    public var reporter: String?
    public var file: String?

    enum CodingKeys: String, CodingKey {
        case sha256, line, offset, excerpt
        case excerptLine = "excerpt_line"
        case redactions, reporter, file
    }

    /// One line of the index; nil when it is not an index entry.
    public init?(_ json: Data) {
        guard let line = try? CanonicalJSON.decode(Self.self, from: json) else { return nil }
        self = line
    }
}
