import EnforcementEngine
import Foundation
import Primitives
import RegistryClient

/// `GET /rdap/ip/{addr}` (FORMATS.md §7.2): an RFC 9083 `ip network` object for the
/// longest registered prefix that holds the address, as RIRs serve IP registrations: the
/// registrant and the abuse contact as entities, the status, and a remark naming an open
/// case. An unregistered address is `404` with an RDAP error object.
public struct RDAPLookup: Sendable {
    let store: EngineStore
    let clock: WallClock
    /// Base URL of self links (`https://registry.example/`), or nil for relative ones.
    let baseURL: String?

    public init(store: EngineStore, clock: WallClock = .system, baseURL: String? = nil) {
        self.store = store
        self.clock = clock
        self.baseURL = baseURL
    }

    public func answer(_ text: String) -> IntakeAnswer {
        guard text.utf8.count <= 64, let ip = IPAddress(text) else {
            return rdapError(400, "Bad request", "\(text.prefix(64)) is not an IPv4 or IPv6 address")
        }
        do {
            let now = clock.nowMillis()
            guard let record = try store.registry.record(for: ip, at: now) else {
                return rdapError(404, "Not found", "\(ip) is not in a registered network: no mail server may send from it")
            }
            let history = try store.registry.history(of: ip).filter { $0.network == record.network }
            let open = try store.cases(subject: ip.description).filter { $0.status == .open || $0.status == .suspended }
            return IntakeAnswer(status: 200, headers: ["Content-Type": "application/rdap+json"], json: try CanonicalJSON.string(document(record, history: history, cases: open)))
        } catch {
            return rdapError(500, "Server error", "the registry cannot be read now")
        }
    }

    func document(_ record: RegistrationRecord, history: [RegistrationRecord], cases: [EnforcementCase]) -> RDAPObject {
        let network = record.ipNetwork
        let status: [String]
        switch record.registrationStatus {
        case .active: status = ["active"]
        case .suspended: status = ["inactive", "server hold"]
        case .revoked: status = ["removed"]
        default: status = ["inactive"]
        }
        var remarks = [RDAPObject.Remark(title: "Registry status", description: ["\(record.status)\(record.provisional ? " (provisional, pending staff review)" : "")"])]
        for item in cases {
            remarks.append(.init(title: "Open case", description: ["\(item.id): \(item.status.rawValue) under rule \(item.ruleID), opened \(ISOTime.format(millis: item.opened, fraction: false))"]))
        }
        var events = [RDAPObject.Event(eventAction: "last changed", eventDate: ISOTime.format(millis: record.validFrom, fraction: false))]
        if let first = history.first { events.insert(.init(eventAction: "registration", eventDate: ISOTime.format(millis: first.validFrom, fraction: false)), at: 0) }
        let path = "rdap/ip/\(network.address)/\(network.prefixLength)"
        let href = (baseURL.map { $0.hasSuffix("/") ? $0 : $0 + "/" } ?? "/") + path
        return RDAPObject(
            rdapConformance: ["rdap_level_0"], objectClassName: "ip network", handle: record.network, startAddress: network.address.description,
            endAddress: network.lastAddress.description, ipVersion: network.address.family == .v4 ? "v4" : "v6", name: record.registrant,
            type: "REGISTERED MAIL SERVERS", status: status,
            entities: [
                .init(objectClassName: "entity", handle: record.registrant, roles: ["registrant"], vcardArray: nil),
                .init(
                    objectClassName: "entity", handle: "\(record.registrant)-ABUSE", roles: ["abuse"],
                    vcardArray: .init(kind: "vcard", properties: [["version", "4.0"], ["fn", "Abuse contact of \(record.registrant)"], ["email", record.abuseContact]])),
            ],
            remarks: remarks, events: events, links: [.init(value: href, rel: "self", href: href, type: "application/rdap+json")])
    }

    func rdapError(_ code: Int, _ title: String, _ description: String) -> IntakeAnswer {
        let body = RDAPError(rdapConformance: ["rdap_level_0"], errorCode: code, title: title, description: [description])
        return IntakeAnswer(status: code, headers: ["Content-Type": "application/rdap+json"], json: (try? CanonicalJSON.string(body)) ?? "{}")
    }
}

struct RDAPError: Encodable {
    var rdapConformance: [String]
    var errorCode: Int
    var title: String
    var description: [String]
}

/// The RFC 9083 members this registry fills.
struct RDAPObject: Encodable {
    struct Remark: Encodable {
        var title: String
        var description: [String]
    }
    struct Event: Encodable {
        var eventAction: String
        var eventDate: String
    }
    struct Link: Encodable {
        var value: String
        var rel: String
        var href: String
        var type: String
    }
    /// jCard (RFC 7095): `["vcard", [[name, {}, "text", value], …]]`.
    struct VCard: Encodable {
        var kind: String
        var properties: [[String]]

        func encode(to encoder: any Encoder) throws {
            var outer = encoder.unkeyedContainer()
            try outer.encode(kind)
            var list = outer.nestedUnkeyedContainer()
            for property in properties {
                var item = list.nestedUnkeyedContainer()
                try item.encode(property[0])
                try item.encode([String: String]())
                try item.encode("text")
                try item.encode(property[1])
            }
        }
    }
    struct Entity: Encodable {
        var objectClassName: String
        var handle: String
        var roles: [String]
        var vcardArray: VCard?
    }

    var rdapConformance: [String]
    var objectClassName: String
    var handle: String
    var startAddress: String
    var endAddress: String
    var ipVersion: String
    var name: String
    var type: String
    var status: [String]
    var entities: [Entity]
    var remarks: [Remark]
    var events: [Event]
    var links: [Link]
}
