import Foundation
import GRDB

/// The engine's tables: reporters, shipments and the aggregates ingest writes. Named
/// migrations, never edited once shipped.
enum EngineMigrations {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("engine-v1-ingest") { db in
            try db.execute(
                sql: """
                    CREATE TABLE reporter (
                        id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
                        name TEXT NOT NULL,
                        organisation TEXT NOT NULL,
                        timezone TEXT NOT NULL,
                        unparsed_threshold REAL NOT NULL CHECK (unparsed_threshold BETWEEN 0 AND 1),
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE shipment (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        reporter_id TEXT NOT NULL REFERENCES reporter(id),
                        sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
                        file_name TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('ingested', 'quarantined')),
                        received_at INTEGER NOT NULL,
                        bytes INTEGER NOT NULL,
                        lines INTEGER NOT NULL,
                        events INTEGER NOT NULL,
                        skipped INTEGER NOT NULL,
                        unparsed INTEGER NOT NULL,
                        first_event INTEGER,
                        last_event INTEGER,
                        future_events INTEGER NOT NULL,
                        distant_events INTEGER NOT NULL,
                        gap_hours INTEGER NOT NULL,
                        error TEXT
                    );
                    CREATE UNIQUE INDEX shipment_ingested_once ON shipment (sha256) WHERE status = 'ingested';
                    CREATE INDEX shipment_reporter ON shipment (reporter_id, received_at);
                    CREATE TABLE event_day (
                        ip BLOB NOT NULL,
                        reporter_id TEXT NOT NULL,
                        day INTEGER NOT NULL,
                        counts BLOB NOT NULL,
                        first_seen INTEGER NOT NULL,
                        last_seen INTEGER NOT NULL,
                        PRIMARY KEY (ip, reporter_id, day)
                    ) WITHOUT ROWID;
                    CREATE TABLE sample_set (
                        ip BLOB NOT NULL,
                        reporter_id TEXT NOT NULL,
                        samples BLOB NOT NULL,
                        PRIMARY KEY (ip, reporter_id)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("engine-v2-cases") { db in
            try db.execute(
                sql: """
                    CREATE TABLE enforcement_case (
                        id TEXT PRIMARY KEY,
                        subject TEXT NOT NULL,
                        subject_kind TEXT NOT NULL CHECK (subject_kind IN ('ip', 'registrant')),
                        registrant TEXT,
                        rule_id TEXT NOT NULL,
                        rule_sha256 TEXT NOT NULL,
                        action TEXT NOT NULL CHECK (action IN ('open_case', 'suspend', 'report')),
                        severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
                        status TEXT NOT NULL CHECK (status IN ('open', 'suspended', 'confirmed', 'dismissed', 'reinstated')),
                        opened INTEGER NOT NULL,
                        updated INTEGER NOT NULL,
                        window_start INTEGER NOT NULL,
                        window_end INTEGER NOT NULL,
                        figures TEXT NOT NULL,
                        reporters TEXT NOT NULL,
                        registration TEXT,
                        prior_status TEXT
                    );
                    CREATE UNIQUE INDEX case_one_open ON enforcement_case (subject, rule_id) WHERE status IN ('open', 'suspended');
                    CREATE INDEX case_subject ON enforcement_case (subject, rule_id, status);
                    CREATE TABLE audit (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        case_id TEXT NOT NULL REFERENCES enforcement_case(id),
                        time INTEGER NOT NULL,
                        actor TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 100),
                        action TEXT NOT NULL,
                        from_status TEXT,
                        to_status TEXT,
                        reason TEXT NOT NULL
                    );
                    CREATE INDEX audit_case ON audit (case_id, to_status);
                    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TABLE contradiction (
                        reporter_id TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        rule_id TEXT NOT NULL,
                        as_of INTEGER NOT NULL,
                        witnesses INTEGER NOT NULL,
                        PRIMARY KEY (reporter_id, subject, rule_id, as_of)
                    );
                    """)
        }
        migrator.registerMigration("engine-v3-segments") { db in
            // Aggregates move from one row per client and day (updated by every shipment) to
            // one compressed, immutable segment per shipment. Pre-release databases that hold
            // rows of the old tables are refused rather than converted without their samples.
            let legacy = try Int.fetchOne(db, sql: "SELECT (SELECT COUNT(*) FROM event_day) + (SELECT COUNT(*) FROM sample_set)") ?? 0
            guard legacy == 0 else {
                throw DatabaseError(
                    resultCode: .SQLITE_ERROR,
                    message: "this database holds aggregates in the pre-release event_day format: create a new database and ingest the shipments of archive/ again")
            }
            try db.execute(
                sql: """
                    DROP TABLE event_day;
                    DROP TABLE sample_set;
                    CREATE TABLE segment (
                        id INTEGER PRIMARY KEY,
                        shipment_id INTEGER NOT NULL UNIQUE REFERENCES shipment(id),
                        reporter_id TEXT NOT NULL REFERENCES reporter(id),
                        first_day INTEGER NOT NULL,
                        last_day INTEGER NOT NULL,
                        records INTEGER NOT NULL
                    );
                    CREATE INDEX segment_days ON segment (first_day, last_day);
                    CREATE TABLE segment_block (
                        segment_id INTEGER NOT NULL REFERENCES segment(id),
                        first_key BLOB NOT NULL,
                        data BLOB NOT NULL,
                        PRIMARY KEY (segment_id, first_key)
                    );
                    CREATE TRIGGER segment_no_update BEFORE UPDATE ON segment BEGIN SELECT RAISE(ABORT, 'segments are immutable'); END;
                    CREATE TRIGGER segment_block_no_update BEFORE UPDATE ON segment_block BEGIN SELECT RAISE(ABORT, 'segments are immutable'); END;
                    """)
        }
        migrator.registerMigration(ColumnBlocksMigration.identifier) { db in try ColumnBlocksMigration.migrate(db) }
        // The review queue (status, then age) and the audit page (by time, by staff member).
        migrator.registerMigration("engine-v5-review") { db in
            try db.execute(
                sql: """
                    CREATE INDEX case_queue ON enforcement_case ((CASE status WHEN 'suspended' THEN 0 WHEN 'open' THEN 1 ELSE 2 END), opened, id);
                    CREATE INDEX case_rule ON enforcement_case (rule_id);
                    CREATE INDEX case_status ON enforcement_case (status, severity);
                    CREATE INDEX audit_time ON audit (time);
                    CREATE INDEX audit_actor ON audit (actor, time);
                    """)
        }
        // E-mails to abuse contacts (FORMATS.md §9): queued with the change they tell of.
        migrator.registerMigration("engine-v6-notices") { db in
            try db.execute(
                sql: """
                    CREATE TABLE notice (
                        id INTEGER PRIMARY KEY,
                        case_id TEXT NOT NULL REFERENCES enforcement_case(id),
                        kind TEXT NOT NULL CHECK (kind IN ('report', 'decision')),
                        decision TEXT,
                        reason TEXT NOT NULL DEFAULT '',
                        recipient TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'deferred', 'failed')),
                        reply TEXT NOT NULL DEFAULT '',
                        created INTEGER NOT NULL,
                        updated INTEGER NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt INTEGER NOT NULL
                    );
                    CREATE INDEX notice_case ON notice (case_id, id);
                    CREATE INDEX notice_due ON notice (next_attempt) WHERE status IN ('queued', 'deferred');
                    CREATE TRIGGER notice_no_delete BEFORE DELETE ON notice BEGIN SELECT RAISE(ABORT, 'notices are kept'); END;
                    """)
        }
        // Compaction: a segment may hold the records of several shipments of one reporter
        // (its members, numbered from 0 in shipment order; a record names its member). A
        // segment row no longer names one shipment; every segment so far has one member.
        migrator.registerMigration("engine-v7-segment-members") { db in
            try db.execute(
                sql: """
                    CREATE TABLE segment_v7 (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        reporter_id TEXT NOT NULL REFERENCES reporter(id),
                        first_day INTEGER NOT NULL,
                        last_day INTEGER NOT NULL,
                        records INTEGER NOT NULL
                    );
                    INSERT INTO segment_v7 (id, reporter_id, first_day, last_day, records)
                        SELECT id, reporter_id, first_day, last_day, records FROM segment ORDER BY id;
                    CREATE TABLE segment_member (
                        segment_id INTEGER NOT NULL REFERENCES segment(id),
                        member INTEGER NOT NULL CHECK (member >= 0),
                        shipment_id INTEGER NOT NULL UNIQUE REFERENCES shipment(id),
                        PRIMARY KEY (segment_id, member)
                    );
                    INSERT INTO segment_member (segment_id, member, shipment_id) SELECT id, 0, shipment_id FROM segment ORDER BY id;
                    DROP TABLE segment;
                    ALTER TABLE segment_v7 RENAME TO segment;
                    CREATE INDEX segment_days ON segment (first_day, last_day);
                    CREATE INDEX segment_reporter ON segment (reporter_id, first_day);
                    CREATE TRIGGER segment_no_update BEFORE UPDATE ON segment BEGIN SELECT RAISE(ABORT, 'segments are immutable'); END;
                    CREATE TRIGGER segment_member_no_update BEFORE UPDATE ON segment_member BEGIN SELECT RAISE(ABORT, 'segments are immutable'); END;
                    """)
        }
        // A Bloom filter of each block's keys (`SegmentCodec.KeyFilter`), so a lookup skips the
        // blocks without its client uninflated. Blocks written before have none (NULL) and are
        // read; compaction writes them again with one.
        migrator.registerMigration("engine-v8-block-filters") { db in
            try db.execute(sql: "ALTER TABLE segment_block ADD COLUMN key_filter BLOB")
        }
        // The spool's files waiting for ingest, and the worker that holds each one's lease
        // (`SpoolQueue`): several ingest processes on one spool take each file once.
        migrator.registerMigration("engine-v9-spool-queue") { db in
            try db.execute(
                sql: """
                    CREATE TABLE spool_queue (
                        path TEXT PRIMARY KEY CHECK (length(path) BETWEEN 3 AND 4096),
                        reporter_id TEXT NOT NULL,
                        queued_at INTEGER NOT NULL,
                        owner TEXT,
                        lease_until INTEGER,
                        claims INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE INDEX spool_queue_order ON spool_queue (queued_at, path);
                    """)
        }
    }
}