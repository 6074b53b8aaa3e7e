import Foundation
import Primitives
@testable import RegistryClient
import Testing
import TestSupport

/// An IXFR's differences (RFC 1995) worked out from the store, the whole zones at both
/// serials or window by window, against the differences of the two whole zones.
struct ZoneDifferencesTests {
    /// The streamed IXFR differences (two zones merged as they are read from the store)
    /// equal those of the two whole zones, on random registries changed by suspensions,
    /// reinstatements and a second import that adds networks and changes statuses.
    @Test(arguments: Backend.allCases) func streamedDifferencesEqualThoseOfTheWholeZones(_ backend: Backend) throws {
        var random = RandomRegistry(seed: 0x1F0F_2026_1130)
        let zone = DNSName("reg.example.org")!
        var windowed = 0
        for trial in 0..<24 {
            let registry = try TestRegistry(backend)
            defer { registry.remove() }
            let (csv, _) = random.csv(networks: 30 + random.next(150))
            try registry.importCSV(csv)
            let transfer = ZoneTransfer.of(registry.store, zone: zone, ttl: 300, negativeTTL: 60, nameServers: [], allowed: [])
            let base = UInt32(try registry.store.latestRecordID())
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let networks = try registry.store.currentRecords(at: now).map(\.ipNetwork)
            for _ in 0..<(1 + random.next(6)) {
                let network = networks[random.next(networks.count)]
                let status: RegistrationStatus = random.next(2) == 0 ? .suspended : .active
                _ = try registry.store.recordChange(of: network.address, to: status, at: now - 1, cause: "suspension", source: "test", caseID: "C-\(trial)", provisional: false)
            }
            if random.next(2) == 0 {
                let (more, _) = random.csv(networks: 10 + random.next(40), firstRegistrant: 300_000)
                let known = Set(csv.split(separator: "\n").map { $0.prefix { $0 != "," } })
                let added = more.split(separator: "\n").dropFirst().filter { !known.contains($0.prefix { $0 != "," }) }
                try registry.importCSV(csv + added.joined(separator: "\n") + "\n", now: "2026-11-02T00:00:00Z")
            }
            let latest = UInt32(try registry.store.latestRecordID())
            let whole = ZoneTransfer.differences(between: try transfer.records(base), and: try transfer.records(nil))
            // [new SOA, old SOA] deletions [new SOA] additions
            let split = whole.dropFirst(2).firstIndex { $0.type == DNSType.soa }!
            let (deleted, added) = (Set(whole[2..<split]), Set(whole[(split + 1)...]))
            var streamed: [[DNSMessage.Record]] = [[]]
            try transfer.differences!(base, latest) { record in
                if let record { streamed[streamed.count - 1].append(record) } else { streamed.append([]) }
            }
            #expect(streamed.count == 2, "trial \(trial): one boundary between deletions and additions")
            #expect(Set(streamed[0]) == deleted && streamed[0].count == deleted.count, "trial \(trial): deletions \(streamed[0].count) vs \(deleted.count)")
            #expect(Set(streamed[1]) == added && streamed[1].count == added.count, "trial \(trial): additions \(streamed[1].count) vs \(added.count)")
            #expect(!deleted.isEmpty || !added.isEmpty, "trial \(trial): the changes changed nothing")
            // With no additions held, a second merge makes them: the same records.
            var twice: [[DNSMessage.Record]] = [[]]
            var differences = ZoneDifferences(export: ZoneExport(zone: zone, nameServers: [], serial: latest))
            differences.heldAdditions = 0
            try differences.forEach(
                reading: { pass in try registry.store.readCurrentRecords(at: now, through: [Int64(base), Int64(latest)]) { try pass($0.map { $0.next }) } }
            ) { record in
                if let record { twice[twice.count - 1].append(record) } else { twice.append([]) }
            }
            #expect(twice == streamed, "trial \(trial): two merges differ from one")
            // Window by window (where the changes allow it): the same records.
            let changed = try registry.store.changedNetworks(after: Int64(base), through: Int64(latest), limit: 1_000)
            if let windows = changed.flatMap(ZoneDifferences.windows) {
                windowed += 1
                var parts: [[DNSMessage.Record]] = [[]]
                try registry.store.readWindows(at: now) { read in
                    try differences.forEach(merging: { try differences.merge(windows: windows, reading: read, from: Int64(base), to: Int64(latest), $0) }) { record in
                        if let record { parts[parts.count - 1].append(record) } else { parts.append([]) }
                    }
                }
                #expect(parts.count == 2 && Set(parts[0]) == deleted && parts[0].count == deleted.count, "trial \(trial): windowed deletions \(parts[0].count) vs \(deleted.count)")
                #expect(parts.count == 2 && Set(parts[1]) == added && parts[1].count == added.count, "trial \(trial): windowed additions \(parts[1].count) vs \(added.count)")
            }
        }
        #expect(windowed >= 6, "only \(windowed) of 24 trials could be worked out window by window")
    }

    /// Worked out window by window, a network registered under wider ones brings the fill
    /// wildcards above it (the wider answer on the way down), and an IPv6 fill whose labels
    /// are single digits gives way to the IPv4 name it equals: as in the whole zones.
    @Test(arguments: Backend.allCases) func windowedDifferencesFillTheWildcardsAboveAChange(_ backend: Backend) throws {
        let registry = try TestRegistry(backend)
        defer { registry.remove() }
        let first = """
            network,registrant,status,abuse_contact,since
            10.0.0.0/8,R-000010,active,noc@ten.example,2026-01-01T00:00:00Z
            2.0.0.0/16,R-000002,active,noc@two.example,2026-01-01T00:00:00Z
            2000::/4,R-000020,suspended,noc@v6.example,2026-01-01T00:00:00Z
            198.51.100.0/24,R-000100,active,noc@example.net,2026-01-01T00:00:00Z

            """
        try registry.importCSV(first)
        let zone = DNSName("reg.example.org")!
        let transfer = ZoneTransfer.of(registry.store, zone: zone, ttl: 300, negativeTTL: 60, nameServers: [], allowed: [])
        let base = try registry.store.latestRecordID()
        try registry.importCSV(
            first + "10.1.2.3/32,R-000011,suspended,abuse@ten.example,2026-11-02T00:00:00Z\n2001:db8:5::/48,R-000021,active,noc@v6.example,2026-11-02T00:00:00Z\n",
            now: "2026-11-02T00:00:00Z")
        let latest = try registry.store.latestRecordID()
        let whole = ZoneTransfer.differences(between: try transfer.records(UInt32(base)), and: try transfer.records(nil))
        let split = whole.dropFirst(2).firstIndex { $0.type == DNSType.soa }!
        let (deleted, added) = (Set(whole[2..<split]), Set(whole[(split + 1)...]))
        let changed = try #require(try registry.store.changedNetworks(after: base, through: latest, limit: 1_000))
        let windows = try #require(ZoneDifferences.windows(changed), "these changes are worked out window by window")
        #expect(windows.map(\.description) == ["10.1.2.3/32", "2001:db8:5::/48"])
        let differences = ZoneDifferences(export: ZoneExport(zone: zone, nameServers: [], serial: UInt32(latest)))
        var parts: [[DNSMessage.Record]] = [[]]
        try registry.store.readWindows(at: Int64(Date().timeIntervalSince1970 * 1000)) { read in
            try differences.forEach(merging: { try differences.merge(windows: windows, reading: read, from: base, to: latest, $0) }) { record in
                if let record { parts[parts.count - 1].append(record) } else { parts.append([]) }
            }
        }
        #expect(deleted.isEmpty && parts[0].isEmpty, "nothing deleted: \(parts[0])")
        #expect(Set(parts[1]) == added && parts[1].count == added.count, "windowed \(parts[1].map(\.name.description)), whole \(added.map(\.name.description))")
        let names = Set(added.map(\.name.description))
        // The /8's answer on the way down to the host; IPv6 below 2000::/4 likewise, except
        // *.0.2, which the IPv4 2.0.0.0/16 holds.
        for name in ["*.1.10.reg.example.org.", "*.2.1.10.reg.example.org.", "3.2.1.10.reg.example.org.", "*.0.0.2.reg.example.org."] {
            #expect(names.contains(name), "\(name) missing from \(names.sorted())")
        }
        #expect(!names.contains("*.0.2.reg.example.org."))
    }
}
