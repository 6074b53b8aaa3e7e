import Primitives
import RegistryClient
import TestSupport
import Testing

struct RegistrationIndexTests {
    static func row(_ network: String, _ status: RegistrationStatus, _ registrant: String, _ since: String) -> IndexRow {
        IndexRow(network: try! IPNetwork(parsing: network), status: status, registrant: registrant, caseID: nil, validFrom: time(since))
    }

    @Test func matchesTheInnermostNetworkAndItsEdges() {
        let index = RegistrationIndex(rows: [
            Self.row("0.0.0.0/0", .revoked, "ALL", "2026-01-01T00:00:00Z"),
            Self.row("10.0.0.0/8", .active, "TEN", "2026-01-01T00:00:00Z"),
            Self.row("10.1.0.0/16", .suspended, "TEN-ONE", "2026-01-01T00:00:00Z"),
            Self.row("10.1.2.3/32", .active, "HOST", "2026-01-01T00:00:00Z"),
            Self.row("255.255.255.255/32", .active, "TOP", "2026-01-01T00:00:00Z"),
            Self.row("2001:db8::/32", .active, "V6", "2026-01-01T00:00:00Z"),
            Self.row("2001:db8:1::/48", .suspended, "V6-INNER", "2026-01-01T00:00:00Z"),
        ])
        let t = time("2026-06-01T00:00:00Z")
        #expect(index.state(of: ip("10.1.2.3"), at: t).registrant == "HOST")
        #expect(index.state(of: ip("10.1.2.4"), at: t).registrant == "TEN-ONE")
        #expect(index.state(of: ip("10.1.255.255"), at: t).registrant == "TEN-ONE")
        #expect(index.state(of: ip("10.2.0.0"), at: t).registrant == "TEN")
        #expect(index.state(of: ip("10.255.255.255"), at: t).registrant == "TEN")
        #expect(index.state(of: ip("11.0.0.0"), at: t).registrant == "ALL")
        #expect(index.state(of: ip("9.255.255.255"), at: t).registrant == "ALL")
        #expect(index.state(of: ip("255.255.255.255"), at: t).registrant == "TOP")
        #expect(index.state(of: ip("255.255.255.254"), at: t).registrant == "ALL")
        #expect(index.state(of: ip("2001:db8:1:2::3"), at: t).registrant == "V6-INNER")
        #expect(index.state(of: ip("2001:db8:2::"), at: t).registrant == "V6")
        #expect(index.state(of: ip("2001:db9::"), at: t).status == .unregistered)
        #expect(index.state(of: ip("10.1.2.3"), at: time("2025-01-01T00:00:00Z")).status == .unregistered)
    }

    /// The index and the database's own lookup agree on random registries, addresses and times.
    @Test(arguments: Backend.allCases) func agreesWithTheDatabaseOnRandomRegistries(_ backend: Backend) throws {
        let registry = try TestRegistry(backend)
        defer { registry.remove() }
        var state: UInt64 = 7
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        var lines = ["network,registrant,status,abuse_contact,since"]
        var seen = Set<IPNetwork>()
        let statuses = ["active", "suspended", "revoked"]
        for i in 0..<600 {
            let prefix = Int(next() % 17) + 16  // /16 … /32 inside 100.64.0.0/12 so that they nest
            let address = IPAddress(v4: 0x6440_0000 | UInt32(truncatingIfNeeded: next()) & 0x000F_FFFF)
            let network = IPNetwork(uncheckedAddress: address, prefixLength: prefix)
            guard seen.insert(network).inserted else { continue }
            let day = 1 + Int(next() % 28)
            lines.append("\(network),R-\(i),\(statuses[Int(next() % 3)]),abuse@example.net,2026-03-\(day < 10 ? "0" : "")\(day)T00:00:00Z")
        }
        try registry.importCSV(lines.joined(separator: "\n") + "\n")
        // Later changes for some networks.
        for network in seen.prefix(100) {
            let when = time("2026-04-10T00:00:00Z") + Int64(next() % 1_000_000_000)
            _ = try? registry.store.recordChange(of: network.address, to: .suspended, at: when, cause: "suspension", source: "engine", caseID: "C-1", provisional: true)
        }
        let index = try registry.store.loadIndex()
        var spansEnding = 0
        for n in 0..<3000 {
            let address = IPAddress(v4: 0x6440_0000 | UInt32(truncatingIfNeeded: next()) & 0x000F_FFFF)
            let at = time("2026-03-01T00:00:00Z") + Int64(next() % 8_000_000_000)
            // Prefetch hints (as ingest gives them) for this address and for addresses no
            // network covers, at both ends of both families, change nothing and fault nowhere.
            let elsewhere = [IPAddress(v4: 0), IPAddress(v4: .max), IPAddress(v6High: 0, low: 0), IPAddress(v6High: .max, low: .max), IPAddress(v4: UInt32(truncatingIfNeeded: next()))]
            for step in 0..<RegistrationIndex.prefetchSteps {
                index.prefetchSpan(of: address, step: step)
                index.prefetchSpan(of: elsewhere[n % elsewhere.count], step: step)
            }
            let expected = try registry.store.state(of: address, at: at)
            #expect(index.state(of: address, at: at) == expected, "\(address) at \(ISOTime.format(millis: at, fraction: false))")
            // The span around `at` holds one status: at its edges and anywhere inside.
            let span = index.statusSpan(of: address, at: at)
            #expect(span.status == expected.status && span.from <= at && at < span.until)
            let lower = max(span.from, at - 9_000_000_000), upper = min(span.until - 1, at + 9_000_000_000)
            for probe in [lower, upper, lower + Int64(next() % UInt64(upper - lower + 1))] {
                #expect(index.status(of: address, at: probe) == span.status, "\(address) at \(probe) inside [\(span.from), \(span.until))")
            }
            if span.until != .max { spansEnding += 1 }
        }
        #expect(spansEnding > 10, "some spans end at a later change")
        // A batch's lookups (as the DNS server makes them) agree with one-by-one lookups,
        // the ends of the address space included.
        var work = [Int32](repeating: 0, count: 32)
        var decided = [(status: RegistrationStatus, prefixLength: Int)](repeating: (.unknown, 0), count: 32)
        var differing = 0
        for round in 0..<200 {
            let at = time("2026-03-01T00:00:00Z") + Int64(next() % 8_000_000_000)
            let count = 1 + round % 32
            var keys = (0..<count).map { _ in 0x6440_0000 | UInt32(truncatingIfNeeded: next()) & 0x000F_FFFF }
            keys[0] = [0, .max, 0x6440_0000, 0x644F_FFFF][round % 4]
            work.withUnsafeMutableBufferPointer { work in
                decided.withUnsafeMutableBufferPointer { decided in
                    keys.withUnsafeBufferPointer { index.decidingStatuses(ofV4: $0, at: at, work: work, into: decided) }
                }
            }
            for (k, key) in keys.enumerated() {
                let one = index.decidingStatus(of: IPAddress(v4: key), at: at)
                #expect(decided[k] == one, "\(IPAddress(v4: key)) at \(at)")
                if one.status != decided[0].status { differing += 1 }
            }
        }
        #expect(differing > 100, "the batches mix statuses")
    }
}

extension RegistrationIndexTests {
    /// A history row whose status is none a registration can hold (a damaged database)
    /// reads as unknown, never as active: no rule that applies to active servers acts on it.
    @Test func aRowWithAnUnrecordableStatusReadsAsUnknown() throws {
        let since = time("2026-01-01T00:00:00Z")
        let index = RegistrationIndex(rows: [
            IndexRow(network: try IPNetwork(parsing: "198.51.100.0/28"), status: .unregistered, registrant: "R-1", caseID: nil, validFrom: since),
            IndexRow(network: try IPNetwork(parsing: "192.0.2.0/24"), status: .revoked, registrant: "R-2", caseID: nil, validFrom: since),
        ])
        #expect(index.status(of: ip("198.51.100.5"), at: since + 1) == .unknown)
        #expect(index.statusSpan(of: ip("198.51.100.5"), at: since + 1).status == .unknown)
        #expect(index.status(of: ip("192.0.2.9"), at: since + 1) == .revoked, "recordable statuses keep theirs")
    }

    /// The status codes stored in segments are fixed: each status and its code, both ways.
    @Test func statusCodesAreFixed() {
        #expect(RegistrationStatus.allCases.map(\.code) == [0, 1, 2, 3, 4])
        #expect(RegistrationStatus.allCases.allSatisfy { RegistrationStatus(code: $0.code) == $0 })
        #expect(RegistrationStatus(code: 5) == nil)
    }
}
