import Crypto
import Foundation
import GRDB

/// The whole store as text, to compare two stores (a clean run and a run that was killed
/// and resumed, or before and after a dry run): every table, every row, with row ids and
/// write times replaced by what they identify (a segment by its shipments' SHA-256s).
public enum StoreDump {
    /// The tables this dump knows. A table added later fails `dump` until it is known here:
    /// a comparison of stores that skipped it would prove nothing.
    public static let knownTables: Set<String> = [
        "grdb_migrations", "registration", "registry_import", "reporter", "shipment", "segment", "segment_member", "segment_block", "enforcement_case", "audit",
        "contradiction", "reporter_token", "upload", "service_audit", "staff", "staff_session", "rule_file", "notice",
        "spool_queue",
    ]

    /// The engine's tables: what a spool ingest and the service's intake must agree on.
    public static let engineTables: Set<String> = [
        "registration", "registry_import", "reporter", "shipment", "segment", "segment_member", "segment_block", "enforcement_case", "audit", "contradiction",
        "notice",
    ]

    /// A segment named by its shipments' SHA-256s, in member order.
    static let segmentName = "(SELECT group_concat(sha256, '+') FROM (SELECT sh.sha256 FROM segment_member m JOIN shipment sh ON sh.id = m.shipment_id WHERE m.segment_id = s.id ORDER BY m.member))"

    static let queries: [(table: String, sql: String)] = [
        ("grdb_migrations", "SELECT identifier FROM grdb_migrations ORDER BY 1"),
        // Files waiting for ingest (owners and leases differ from run to run).
        ("spool_queue", "SELECT path, reporter_id FROM spool_queue ORDER BY path"),
        ("registration", "SELECT network, registrant, status, abuse_contact, valid_from, cause, source, case_id, provisional FROM registration ORDER BY id"),
        ("registry_import", "SELECT file, sha256, rows, changed FROM registry_import ORDER BY id"),
        ("reporter", "SELECT id, name, organisation, timezone, unparsed_threshold FROM reporter ORDER BY id"),
        (
            "shipment",
            """
            SELECT reporter_id, sha256, file_name, status, bytes, lines, events, skipped, unparsed, first_event, last_event,
                future_events, distant_events, gap_hours, error FROM shipment ORDER BY sha256, status, error
            """
        ),
        ("segment", "SELECT \(segmentName), s.reporter_id, s.first_day, s.last_day, s.records FROM segment s ORDER BY 1"),
        ("segment_member", "SELECT \(segmentName), m.member, sh.sha256 FROM segment_member m JOIN segment s ON s.id = m.segment_id JOIN shipment sh ON sh.id = m.shipment_id ORDER BY 1, 2"),
        ("segment_block", "SELECT \(segmentName), hex(b.first_key), b.data, b.key_filter FROM segment_block b JOIN segment s ON s.id = b.segment_id ORDER BY 1, 2"),
        ("enforcement_case", "SELECT * FROM enforcement_case ORDER BY id"),
        ("audit", "SELECT case_id, time, actor, action, from_status, to_status, reason FROM audit ORDER BY id"),
        ("contradiction", "SELECT * FROM contradiction ORDER BY 1, 2, 3, 4"),
        ("notice", "SELECT case_id, kind, decision, reason, recipient, status, reply, created, attempts FROM notice ORDER BY id"),
        ("reporter_token", "SELECT id, reporter_id, sha256, expires_at, revoked_at IS NOT NULL FROM reporter_token ORDER BY id"),
        ("upload", "SELECT reporter_id, sha256, name, bytes, status, lines, events, unparsed, first_event, last_event, error FROM upload ORDER BY 1, 2"),
        ("service_audit", "SELECT actor, action, subject, detail FROM service_audit ORDER BY id"),
        ("staff", "SELECT name, role, password_hash, totp_secret, totp_last_step, disabled_at IS NOT NULL, failed_logins, locked_until FROM staff ORDER BY name"),
        ("staff_session", "SELECT id_sha256, staff_name, csrf_token, client FROM staff_session ORDER BY 1"),
        ("rule_file", "SELECT sha256, name, text FROM rule_file ORDER BY sha256"),
    ]

    public struct UnknownTable: Error, CustomStringConvertible {
        public var name: String
        public var description: String { "table \(name) is not in StoreDump.knownTables: add it, or the comparison proves nothing about it" }
    }

    /// Every row as `table: value | value …` (BLOBs as their SHA-256), in a fixed order.
    /// - Parameter only: dump these tables only (all known ones when nil).
    public static func dump(_ database: some DatabaseReader, only: Set<String>? = nil) throws -> [String] {
        try database.read { db in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            if let unknown = tables.first(where: { !knownTables.contains($0) }) { throw UnknownTable(name: unknown) }
            var lines: [String] = []
            for (table, sql) in queries where tables.contains(table) && (only?.contains(table) ?? true) {
                let rows = try Row.fetchAll(db, sql: sql)
                lines.append("\(table): \(rows.count) rows")
                for row in rows {
                    let values = row.databaseValues.map { value -> String in
                        switch value.storage {
                        case .blob(let data): "blob:" + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
                        default: value.description
                        }
                    }
                    lines.append("\(table): " + values.joined(separator: " | "))
                }
            }
            return lines
        }
    }

    /// `PRAGMA integrity_check` and the foreign-key check: "ok" when both find nothing.
    public static func integrity(_ database: some DatabaseReader) throws -> String {
        try database.read { db in
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ")
            let foreign = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
            return foreign.isEmpty ? integrity : integrity + "; foreign keys: \(foreign)"
        }
    }

    /// Segments and blocks that belong to nothing: members of no ingested shipment or of no
    /// segment, segments without members, blocks of no segment, segments without blocks.
    public static func orphans(_ database: some DatabaseReader) throws -> Int {
        try database.read { db in
            try Int.fetchOne(
                db,
                sql: """
                    SELECT (SELECT COUNT(*) FROM segment_member WHERE shipment_id NOT IN (SELECT id FROM shipment WHERE status = 'ingested'))
                         + (SELECT COUNT(*) FROM segment_member WHERE segment_id NOT IN (SELECT id FROM segment))
                         + (SELECT COUNT(*) FROM segment s WHERE NOT EXISTS (SELECT 1 FROM segment_member m WHERE m.segment_id = s.id))
                         + (SELECT COUNT(*) FROM segment_block WHERE segment_id NOT IN (SELECT id FROM segment))
                         + (SELECT COUNT(*) FROM segment s WHERE NOT EXISTS (SELECT 1 FROM segment_block b WHERE b.segment_id = s.id))
                    """) ?? -1
        }
    }

    /// Files under `folder` that are no finished archive copy: hidden names, `.tmp`.
    public static func strayFiles(archive folder: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var stray: [String] = []
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            let name = url.lastPathComponent
            if name.hasPrefix(".") || name.hasSuffix(".tmp") || url.path.contains("/.incoming/") { stray.append(url.path) }
        }
        return stray.sorted()
    }
}
