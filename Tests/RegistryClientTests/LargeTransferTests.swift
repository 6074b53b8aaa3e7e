import Foundation
import GRDB
import Glibc
import Primitives
import RegistryClient
import Testing
import TestSupport

/// A large zone leaves `serve-dns` (the real process) whole, in bounded messages, without
/// its memory growing with the zone: the registry is read through one cursor and each
/// record is encoded as it comes. (`abuse-bench transfer` measures the same at 1 M
/// entries, with times.)
@Suite(.serialized)
struct LargeTransferTests {
    static let hosts = 200_000
    static let networks = 2_000
    static let prefixes = 2_000

    /// Fills the registry with `hosts` IPv4 hosts, `networks` /24s and `prefixes` IPv6 /48s
    /// in SQL (an import of this size takes minutes in a debug build).
    static func fill(_ registry: TestRegistry) throws {
        try registry.sqliteDatabase.write { db in
            let columns = "network, family, net_high, net_low, prefix_length, registrant, status, abuse_contact, valid_from, recorded_at, cause, source, case_id, provisional"
            try db.execute(
                sql: """
                    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(hosts - 1)),
                    a(i, v) AS (SELECT i, 167772160 + i * 7 FROM n)
                    INSERT INTO registration (\(columns))
                    SELECT printf('%d.%d.%d.%d/32', v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255), 4, 0, v, 32,
                           printf('R-%06d', i), 'active', 'noc@example.net', 0, 0, 'import', 'test', NULL, 0 FROM a
                    """)
            try db.execute(
                sql: """
                    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(networks - 1)),
                    a(i, v) AS (SELECT i, 1677721600 + i * 256 FROM n)
                    INSERT INTO registration (\(columns))
                    SELECT printf('%d.%d.%d.0/24', v >> 24, (v >> 16) & 255, (v >> 8) & 255), 4, 0, v, 24,
                           printf('R-1%05d', i), 'suspended', 'abuse@example.net', 0, 0, 'import', 'test', NULL, 0 FROM a
                    """)
            // 2001:db8:i::/48: the high word 0x20010db8_iiii_0000.
            try db.execute(
                sql: """
                    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(prefixes - 1))
                    INSERT INTO registration (\(columns))
                    SELECT printf('2001:db8:%x::/48', i), 6, 2306139568115548160 + (i << 16), 0, 48,
                           printf('R-2%05d', i), 'revoked', 'noc@v6.example', 0, 0, 'import', 'test', NULL, 0 FROM n
                    """)
        }
    }

    @Test func transfersALargeZoneInBoundedMessagesWithFlatMemory() throws {
        let registry = try TestRegistry()
        defer { registry.remove() }
        try Self.fill(registry)
        let port = freePort()
        let db = registry.folder.appendingPathComponent("test.db").path
        let server = try CommandRunner.start([
            "registry", "serve-dns", "--db", db, "--listen", "127.0.0.1:\(port)", "--zone", "reg.example.org", "--allow-transfer", "127.0.0.1", "--threads", "1",
        ])
        defer { CommandRunner.stop(server) }
        let pid = server.processIdentifier
        var connection: Int32 = -1
        #expect(ServeProcess.wait(timeout: 60) { connection = Self.connect(port); return connection >= 0 }, "serve-dns did not listen within 60 s")
        guard connection >= 0 else { return }
        defer { close(connection) }
        // The resident size with the registry loaded; then the peak is reset to it.
        let before = try Self.memory(pid, "VmRSS")
        try "5".write(toFile: "/proc/\(pid)/clear_refs", atomically: false, encoding: .utf8)

        var query = DNSMessage(id: 0x4242)
        query.questions = [DNSMessage.Question(name: DNSName("reg.example.org")!, type: DNSType.axfr)]
        Self.send(query.encode(), on: connection)
        var messages = 0
        var records = 0
        var largest = 0
        var soas = 0
        var owners: (a: Int, txt: Int) = (0, 0)
        var first: DNSMessage.Record?
        var last: DNSMessage.Record?
        while soas < 2, let bytes = Self.receive(on: connection) {
            let message = try DNSMessage(parsing: bytes, recordsPerSection: .max)
            #expect(message.id == 0x4242 && message.rcode == 0)
            messages += 1
            largest = max(largest, bytes.count)
            for record in message.answers {
                if first == nil { first = record }
                last = record
                records += 1
                if record.type == DNSType.soa { soas += 1 }
                if record.type == DNSType.a { owners.a += 1 }
                if record.type == DNSType.txt { owners.txt += 1 }
            }
        }
        let peak = try Self.memory(pid, "VmHWM")
        let answers = Self.hosts + Self.networks + Self.prefixes + 1  // and the RFC 5782 test entry
        #expect(soas == 2 && first?.type == DNSType.soa && last == first, "the transfer starts and ends with the same SOA")
        #expect(owners.a == answers && owners.txt == answers, "A \(owners.a), TXT \(owners.txt) of \(answers) owners")
        #expect(records == 2 * answers + 3, "\(records) records")
        #expect(largest <= 65_535 && largest <= 16_000, "largest message \(largest) bytes")
        #expect(messages >= records / 400, "\(messages) messages for \(records) records")
        // Flat: holding the registry's rows took 187 MB more here (measured before the
        // cursor); the cursor, SQLite's sorter and caches and a few messages take about 24.
        let growth = peak - before
        #expect(growth < 48 << 20, "the peak grew by \(growth >> 20) MB during a transfer of \(records) records (\(before >> 20) MB before)")
    }

    /// A kB figure of /proc/PID/status, in bytes.
    static func memory(_ pid: Int32, _ field: String) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
            let kB = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { throw MissingRequirement("no \(field) in /proc/\(pid)/status") }
        return kB * 1024
    }

    static func connect(_ port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let connected = withLoopbackAddress(port: port) { Glibc.connect(fd, $0, $1) }
        guard connected == 0 else {
            close(fd)
            return -1
        }
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Sends a DNS message over TCP (with its two-byte length).
    static func send(_ bytes: [UInt8], on fd: Int32) {
        let framed = [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
        _ = framed.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }

    /// The next DNS message over TCP, or nil at the end or after the timeout.
    static func receive(on fd: Int32) -> [UInt8]? {
        guard let prefix = read(2, from: fd) else { return nil }
        return read(Int(prefix[0]) << 8 | Int(prefix[1]), from: fd)
    }

    static func read(_ count: Int, from fd: Int32) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + done, count - done, 0) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            done += n
        }
        return bytes
    }
}
