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
    }
}
