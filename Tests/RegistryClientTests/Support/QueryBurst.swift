import Foundation
import RegistryClient
import Testing

/// A burst of every kind of query a UDP server answers (listed, unlisted, RFC 5782 entries,
/// malformed labels, upper case, EDNS, TXT, AAAA), sent at once, and the check that each
/// answer equals the responder's general path: the batched fast paths (sockets, AF_XDP)
/// must answer as one-by-one answering does.
enum QueryBurst {
    static func queries() -> [[UInt8]] {
        let names = [
            "5.100.51.198", "15.100.51.198", "16.100.51.198", "25.2.0.192", "26.2.0.192", "27.2.0.192", "8.8.8.8", "0.0.0.0", "255.255.255.255",
            "2.0.0.127", "1.0.0.127", "05.100.51.198", "256.100.51.198", "100.51.198", "9.5.100.51.198",
        ]
        var queries: [[UInt8]] = []
        for round in 0..<6 {
            for (n, name) in names.enumerated() {
                var query = DNSMessage(id: UInt16(round * 100 + n))
                let owner = round == 3 ? "\(name).REG.Example.ORG" : "\(name).reg.example.org"
                query.questions = [.init(name: DNSName(owner)!, type: round == 4 ? DNSType.txt : round == 5 && n % 2 == 0 ? DNSType.aaaa : DNSType.a)]
                if round % 2 == 1 { query.edns = .init() }
                queries.append(query.encode())
            }
        }
        return queries
    }

    /// Sends `queries` at once to `port` and reads answers, by message ID, until `expected`
    /// have come or none comes for the socket's timeout.
    static func send(_ queries: [[UInt8]], to port: Int, expecting expected: Int) -> [UInt16: [UInt8]] {
        let socket = UDPSocket()
        for query in queries { socket.send(query, port: port) }
        var replies: [UInt16: [UInt8]] = [:]
        while replies.count < expected, let reply = socket.receive() {
            replies[UInt16(reply[0]) << 8 | UInt16(reply[1])] = reply
        }
        return replies
    }

    /// Expects each query's reply to decode as the responder's own answer does; returns the
    /// replies' RCODEs.
    static func expectGeneralPathAnswers(_ queries: [[UInt8]], _ replies: [UInt16: [UInt8]], responder: DNSResponder) throws -> Set<UInt8> {
        var codes = Set<UInt8>()
        for query in queries {
            let id = UInt16(query[0]) << 8 | UInt16(query[1])
            let expected = try #require(query.withUnsafeBytes { responder.answer($0, overUDP: true) })
            let got = try #require(replies[id], "an answer to query \(id)")
            #expect(try DNSMessage(parsing: got) == DNSMessage(parsing: expected), "query \(id)")
            codes.insert(got[3] & 0x0F)
        }
        return codes
    }
}
