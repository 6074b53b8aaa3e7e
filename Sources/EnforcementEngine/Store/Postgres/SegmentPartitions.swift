import RegistryClient

/// The day partitions of the segment tables in PostgreSQL (`segment_dNNNNN`,
/// `segment_member_dNNNNN`, `segment_block_dNNNNN`, NNNNN the day since 1970), made when
/// the first segment of a day arrives. Workers on several hosts may arrive at once: the
/// partitions are made in a transaction of their own under an advisory lock, before the
/// segment's transaction (which then holds no lock that other writers wait on).
enum SegmentPartitions {
    static let tables = ["segment", "segment_member", "segment_block"]

    /// The advisory lock taken while partitions are made ("segparts" in ASCII).
    static let lockKey: Int64 = 0x7365_6770_6172_7473

    /// Makes the partitions of `day` unless they exist.
    static func ensure(day: Int32, _ pool: PostgresPool) throws {
        let database = SQLDatabase.postgres(pool)
        let present = try database.read { db in try db.integer("SELECT COUNT(*) FROM pg_class WHERE relname = ?", [.text("segment_block_\(suffix(day))")]) } ?? 0
        if present > 0 { return }
        try database.writeRetrying { db, _ in
            try db.execute("SELECT pg_advisory_xact_lock(?)", [.integer(lockKey)])
            for table in tables {
                try db.execute("CREATE TABLE IF NOT EXISTS \(table)_\(suffix(day)) PARTITION OF \(table) FOR VALUES FROM (\(day)) TO (\(Int64(day) + 1))", [])
            }
        }
    }

    /// `d` and the day; `dm` and its magnitude before 1970.
    static func suffix(_ day: Int32) -> String {
        day < 0 ? "dm\(-Int64(day))" : "d\(day)"
    }
}
