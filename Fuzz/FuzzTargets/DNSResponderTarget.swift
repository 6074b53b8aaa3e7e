import Foundation
import LogParsers
import RegistryClient

/// The registry's DNS responder over a small registry: any datagram is answered or
/// dropped, never a crash; an answer is a response to the query's id that decodes, fits the
/// datagram limit, and the fast path for common queries answers as the general path does.
enum DNSResponderTarget {
    static let target = FuzzTarget(name: "dns-responder", run: run, seeds: { _ in queries() })

    static let csv = """
        network,registrant,status,abuse_contact,since
        198.51.100.0/28,R-000123,active,abuse@example.net,2026-01-15T00:00:00Z
        192.0.2.25/32,R-000200,suspended,abuse@bad.example,2026-11-01T00:00:00Z
        192.0.2.26/32,R-000201,revoked,abuse@bad.example,2026-11-01T00:00:00Z
        2001:db8:10::/48,R-000124,active,noc@example.com,2026-02-01T00:00:00Z

        """

    /// One responder for the whole run, over a registry in a temporary database.
    static let responder: DNSResponder = {
        do {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-fuzz-\(getpid())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let store = try RegistryStore(database: try DatabaseConnection.open(path: folder.appendingPathComponent("fuzz.db").path))
            _ = try store.importRows(try RegistryCSV(bytes: Array(csv.utf8)).rows, file: "fuzz.csv", sha256: "fuzz", now: 0)
            let zone = RegistryZone(zone: DNSName("reg.example.org")!)
            return DNSResponder(zone: zone, registry: try LiveRegistry(store: store), clock: { 1_795_910_400_000 })
        } catch {
            fatalError("cannot set up the fuzzed responder: \(error)")
        }
    }()

    static func run(_ data: UnsafeRawBufferPointer) {
        for overUDP in [true, false] {
            var fast: [UInt8] = []
            let answeredFast = responder.answer(data, overUDP: overUDP, into: &fast)
            let general = responder.answer(data, overUDP: overUDP)
            precondition(answeredFast == (general != nil), "the fast path and the general path disagree on answering")
            guard let general else { continue }
            guard let reply = try? DNSMessage(parsing: fast) else { preconditionFailure("an answer that does not decode: \(fast)") }
            precondition(reply.isResponse && data.count >= 2 && reply.id == UInt16(data[0]) << 8 | UInt16(data[1]), "not a response to the query")
            if overUDP {
                let limit = (try? DNSMessage(parsing: data))?.edns.map { max(512, Int($0.udpPayloadSize)) } ?? 512
                precondition(fast.count <= limit, "a UDP answer of \(fast.count) bytes over the limit \(limit)")
            }
            precondition((try? DNSMessage(parsing: general)) == reply, "the fast path answers otherwise than the general path")
        }
    }

    /// Queries of every kind the zone answers.
    static func queries() -> [(name: String, bytes: [UInt8])] {
        var result: [(String, [UInt8])] = []
        let names = [
            ("active-a", "5.100.51.198.reg.example.org", DNSType.a), ("suspended-txt", "25.2.0.192.reg.example.org", DNSType.txt),
            ("unregistered", "8.8.8.8.reg.example.org", DNSType.a), ("apex-soa", "reg.example.org", DNSType.soa), ("apex-ns", "reg.example.org", DNSType.ns),
            ("test-entry", "2.0.0.127.reg.example.org", DNSType.a), ("other-zone", "example.com", DNSType.a),
            ("v6", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.reg.example.org", DNSType.a),
        ]
        for (index, (label, name, type)) in names.enumerated() {
            var message = DNSMessage(id: UInt16(index + 1))
            message.questions = [.init(name: DNSName(name)!, type: type)]
            result.append((label, message.encode()))
            message.edns = .init()
            result.append((label + "-edns", message.encode()))
        }
        return result
    }
}
