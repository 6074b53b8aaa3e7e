import Primitives
import RegistryClient
import Testing

struct RegistryCSVTests {
    static let header = "network,registrant,status,abuse_contact,since\n"

    @Test func readsTheFormatOfTheContract() throws {
        let csv = try RegistryCSV(
            bytes: Array(
                (Self.header
                    + "198.51.100.0/28,R-000123,active,abuse@example.net,2026-01-15T00:00:00Z\n"
                    + "2001:db8:10::/48,R-000124,active,noc@example.com,2026-02-01T00:00:00Z\r\n"
                    + "\"192.0.2.25/32\",R-000200,suspended,abuse@bad.example,2026-11-01\n").utf8))
        #expect(csv.rows.map(\.network.description) == ["198.51.100.0/28", "2001:db8:10::/48", "192.0.2.25/32"])
        #expect(csv.rows.map(\.status) == [.active, .active, .suspended])
        #expect(csv.rows.map(\.line) == [2, 3, 4])
        #expect(csv.rows[2].since == ISOTime.parse("2026-11-01T00:00:00Z"))
    }

    @Test func reportsEveryBadRowWithItsLine() {
        let text =
            Self.header
            + "198.51.100.1/28,R-1,active,abuse@example.net,2026-01-15T00:00:00Z\n"  // host bits
            + "198.51.100.0/33,R-2,active,abuse@example.net,2026-01-15T00:00:00Z\n"  // prefix
            + "10.0.0.0/8,R-3,dormant,abuse@example.net,2026-01-15T00:00:00Z\n"  // status
            + "10.1.0.0/16,R-4,active,not-an-address,2026-01-15T00:00:00Z\n"  // contact
            + "10.2.0.0/16,R-5,active,abuse@example.net,yesterday\n"  // date
            + "10.3.0.0/16,R-6,active,abuse@example.net,2026-01-15T00:00:00Z\n"
            + "10.3.0.0/16,R-7,active,abuse@example.net,2026-01-15T00:00:00Z\n"  // duplicate
            + "10.4.0.0/16,R-8,active\n"  // fields
            + "10.5.0.0/16,R 9,active,abuse@example.net,2026-01-15T00:00:00Z\n"  // registrant
            + "10.6.0.0/16,R-10,active,\"abuse@example.net\r\nBcc: x@y\",2026-01-15T00:00:00Z\n"  // header injection
        #expect {
            try RegistryCSV(bytes: Array(text.utf8))
        } throws: { error in
            let failure = error as! ValidationFailure
            #expect(failure.problems.map(\.line) == [2, 3, 4, 5, 6, 8, 9, 10, 11])
            #expect(failure.problems[0].message.contains("host bits"))
            #expect(failure.problems[5].message.contains("first on line 7"))
            return true
        }
    }

    @Test func refusesAWrongHeader() {
        #expect(throws: ValidationFailure.self) {
            try RegistryCSV(bytes: Array("net,registrant,status,abuse_contact,since\n10.0.0.0/8,R-1,active,a@b.c,2026-01-01\n".utf8))
        }
        #expect(throws: ValidationFailure.self) { try RegistryCSV(bytes: []) }
    }
}
