import GRDB

/// The service's tables: reporters' upload tokens, the uploads received over HTTP and the
/// service's audit log. Shipped migrations are frozen: a later change is a new migration.
enum ServiceMigrations {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("server-v1-intake") { db in
            try db.execute(
                sql: """
                    CREATE TABLE reporter_token (
                        id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 8 AND 40),
                        reporter_id TEXT NOT NULL REFERENCES reporter(id),
                        sha256 BLOB NOT NULL CHECK (length(sha256) = 32),
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER,
                        revoked_at INTEGER
                    );
                    CREATE INDEX reporter_token_reporter ON reporter_token (reporter_id, created_at);
                    CREATE TABLE upload (
                        reporter_id TEXT NOT NULL REFERENCES reporter(id),
                        sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
                        name TEXT NOT NULL,
                        received_at INTEGER NOT NULL,
                        bytes INTEGER NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('queued', 'ingesting', 'ingested', 'duplicate', 'quarantined')),
                        spool_file TEXT,
                        lines INTEGER NOT NULL DEFAULT 0,
                        events INTEGER NOT NULL DEFAULT 0,
                        unparsed INTEGER NOT NULL DEFAULT 0,
                        first_event TEXT,
                        last_event TEXT,
                        error TEXT,
                        PRIMARY KEY (reporter_id, sha256)
                    ) WITHOUT ROWID;
                    CREATE INDEX upload_status ON upload (status, received_at);
                    CREATE INDEX upload_received ON upload (reporter_id, received_at);
                    CREATE TABLE service_audit (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        time INTEGER NOT NULL,
                        actor TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 100),
                        action TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        detail TEXT NOT NULL
                    );
                    CREATE TRIGGER service_audit_no_update BEFORE UPDATE ON service_audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TRIGGER service_audit_no_delete BEFORE DELETE ON service_audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    """)
        }
        migrator.registerMigration("server-v2-staff") { db in
            try db.execute(
                sql: """
                    CREATE TABLE staff (
                        name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
                        role TEXT NOT NULL CHECK (role IN ('reviewer', 'admin')),
                        password_hash TEXT NOT NULL,
                        totp_secret TEXT,
                        totp_last_step INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER NOT NULL,
                        disabled_at INTEGER,
                        failed_logins INTEGER NOT NULL DEFAULT 0,
                        locked_until INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID;
                    CREATE TABLE staff_session (
                        id_sha256 BLOB PRIMARY KEY CHECK (length(id_sha256) = 32),
                        staff_name TEXT NOT NULL REFERENCES staff(name),
                        csrf_token TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        last_seen_at INTEGER NOT NULL,
                        client TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX staff_session_staff ON staff_session (staff_name);
                    CREATE TABLE rule_file (
                        sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
                        name TEXT NOT NULL,
                        text TEXT NOT NULL,
                        first_loaded_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX service_audit_time ON service_audit (time);
                    CREATE INDEX service_audit_actor ON service_audit (actor, time);
                    """)
        }
        // Workers find a claimed file's upload by its spool file (`markIngesting`, `settle`).
        migrator.registerMigration("server-v3-upload-spool-file") { db in
            try db.execute(sql: "CREATE INDEX upload_waiting_file ON upload (spool_file) WHERE status IN ('queued', 'ingesting')")
        }
    }
}
