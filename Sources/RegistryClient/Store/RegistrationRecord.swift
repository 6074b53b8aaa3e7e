import GRDB
import Primitives

/// One row of the registry history (table `registration`): the state of a network from
/// `validFrom` on, until a later row of the same network. Rows are never updated or
/// deleted (the schema refuses it): every change is a new row with its cause.
public struct RegistrationRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "registration"

    public var id: Int64?
    /// Canonical CIDR text (`198.51.100.0/28`).
    public var network: String
    public var family: Int
    /// The network address as two signed 64-bit integers (IPv4 in `netLow`).
    public var netHigh: Int64
    public var netLow: Int64
    public var prefixLength: Int
    public var registrant: String
    public var status: String
    public var abuseContact: String
    /// Milliseconds since the epoch (UTC) from which this state holds.
    public var validFrom: Int64
    /// When the row was written.
    public var recordedAt: Int64
    /// `import`, `suspension`, `reinstatement`, `dismissal`, …
    public var cause: String
    /// Where the change came from: the import file's SHA-256, or the actor.
    public var source: String
    /// The enforcement case behind a suspension or reinstatement.
    public var caseID: String?
    /// A suspension not yet approved by staff.
    public var provisional: Bool

    enum CodingKeys: String, CodingKey {
        case id, network, family
        case netHigh = "net_high"
        case netLow = "net_low"
        case prefixLength = "prefix_length"
        case registrant, status
        case abuseContact = "abuse_contact"
        case validFrom = "valid_from"
        case recordedAt = "recorded_at"
        case cause, source
        case caseID = "case_id"
        case provisional
    }

    /// Read column by column rather than through `Decodable` (a zone transfer reads every
    /// row: the decoder was a fifth of an IXFR's time).
    public init(row: Row) throws {
        id = row["id"]
        network = row["network"]
        family = row["family"]
        netHigh = row["net_high"]
        netLow = row["net_low"]
        prefixLength = row["prefix_length"]
        registrant = row["registrant"]
        status = row["status"]
        abuseContact = row["abuse_contact"]
        validFrom = row["valid_from"]
        recordedAt = row["recorded_at"]
        cause = row["cause"]
        source = row["source"]
        caseID = row["case_id"]
        provisional = row["provisional"]
    }

    /// A record from its columns (as another backend than SQLite reads them).
    init(
        id: Int64?, network: String, family: Int, netHigh: Int64, netLow: Int64, prefixLength: Int, registrant: String, status: String,
        abuseContact: String, validFrom: Int64, recordedAt: Int64, cause: String, source: String, caseID: String?, provisional: Bool
    ) {
        self.id = id
        self.network = network
        self.family = family
        self.netHigh = netHigh
        self.netLow = netLow
        self.prefixLength = prefixLength
        self.registrant = registrant
        self.status = status
        self.abuseContact = abuseContact
        self.validFrom = validFrom
        self.recordedAt = recordedAt
        self.cause = cause
        self.source = source
        self.caseID = caseID
        self.provisional = provisional
    }

    /// The row recording a change of this network to `status` at `time`: its registrant and
    /// contact copied, no id until written.
    func change(to status: RegistrationStatus, at time: Int64, cause: String, source: String, caseID: String?, provisional: Bool) -> RegistrationRecord {
        var next = self
        next.id = nil
        next.status = status.rawValue
        next.validFrom = time
        next.recordedAt = time
        next.cause = cause
        next.source = source
        next.caseID = caseID
        next.provisional = provisional
        return next
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// Whether `other` is a row of the same network (its history).
    func isSameNetwork(as other: RegistrationRecord) -> Bool {
        family == other.family && netHigh == other.netHigh && netLow == other.netLow && prefixLength == other.prefixLength
    }

    public var ipNetwork: IPNetwork { Self.network(family: family, high: netHigh, low: netLow, prefix: prefixLength) }

    /// The network of a row's columns (the inverse of `key`).
    static func network(family: Int, high: Int64, low: Int64, prefix: Int) -> IPNetwork {
        let address = family == 4 ? IPAddress(v4: UInt32(truncatingIfNeeded: low)) : IPAddress(v6High: UInt64(bitPattern: high), low: UInt64(bitPattern: low))
        return IPNetwork(uncheckedAddress: address, prefixLength: prefix)
    }

    public var registrationStatus: RegistrationStatus { RegistrationStatus(rawValue: status) ?? .unknown }

    /// The record's network columns for `network`.
    public static func key(_ network: IPNetwork) -> (family: Int, high: Int64, low: Int64, prefix: Int) {
        (
            network.address.family == .v4 ? 4 : 6, Int64(bitPattern: network.address.high), Int64(bitPattern: network.address.low),
            network.prefixLength
        )
    }
}
