/// Who ships logs: an ISP's mail platform. Reporters of one organisation are not
/// independent witnesses.
public struct Reporter: Codable, Sendable, Equatable {
    /// Default share of unparsed lines above which a file is quarantined as format drift.
    public static let defaultUnparsedThreshold = 0.05

    public var id: String
    public var name: String
    public var organisation: String
    /// IANA zone of the reporter's zone-less log timestamps.
    public var timezone: String
    public var unparsedThreshold: Double
    public var createdAt: Int64

    public init(id: String, name: String, organisation: String? = nil, timezone: String = "UTC", unparsedThreshold: Double = Reporter.defaultUnparsedThreshold, createdAt: Int64) {
        self.id = id
        self.name = name
        self.organisation = organisation ?? id
        self.timezone = timezone
        self.unparsedThreshold = unparsedThreshold
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, organisation, timezone
        case unparsedThreshold = "unparsed_threshold"
        case createdAt = "created_at"
    }

    /// Reporter ids name spool folders: letters, digits, `-`, `_`, `.`, not starting with `.`.
    public static func isValidID(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 64, !id.hasPrefix("."), id != "done", id != "quarantine" else { return false }
        return id.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
        }
    }
}
