import RegistryClient

/// The service's tables in PostgreSQL: the columns, checks and append-only triggers of the
/// SQLite ones (`ServiceMigrations`, in their latest form), named migrations never edited
/// once shipped.
enum PostgresServiceMigrations {
    static var migrator: PostgresMigrator {
        var migrator = PostgresMigrator()
        migrator.register(
            "server-v1",
            [
                """
                CREATE TABLE reporter_token (
                    id text PRIMARY KEY CHECK (length(id) BETWEEN 8 AND 40),
                    reporter_id text NOT NULL REFERENCES reporter(id),
                    sha256 bytea NOT NULL CHECK (length(sha256) = 32),
                    created_at bigint NOT NULL,
                    expires_at bigint,
                    revoked_at bigint
                )
                """,
                "CREATE INDEX reporter_token_reporter ON reporter_token (reporter_id, created_at)",
                """
                CREATE TABLE upload (
                    reporter_id text NOT NULL REFERENCES reporter(id),
                    sha256 text NOT NULL CHECK (length(sha256) = 64),
                    name text NOT NULL,
                    received_at bigint NOT NULL,
                    bytes bigint NOT NULL,
                    status text NOT NULL CHECK (status IN ('queued', 'ingesting', 'ingested', 'duplicate', 'quarantined')),
                    spool_file text,
                    lines bigint NOT NULL DEFAULT 0,
                    events bigint NOT NULL DEFAULT 0,
                    unparsed bigint NOT NULL DEFAULT 0,
                    first_event text,
                    last_event text,
                    error text,
                    PRIMARY KEY (reporter_id, sha256)
                )
                """,
                "CREATE INDEX upload_status ON upload (status, received_at)",
                "CREATE INDEX upload_received ON upload (reporter_id, received_at)",
                """
                CREATE TABLE service_audit (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    time bigint NOT NULL,
                    actor text NOT NULL CHECK (length(actor) BETWEEN 1 AND 100),
                    action text NOT NULL,
                    subject text NOT NULL,
                    detail text NOT NULL
                )
                """,
                "CREATE INDEX service_audit_time ON service_audit (time)",
                "CREATE INDEX service_audit_actor ON service_audit (actor, time)",
                """
                CREATE FUNCTION service_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'restrict_violation';
                END $$
                """,
                "CREATE TRIGGER service_audit_no_change BEFORE UPDATE OR DELETE ON service_audit FOR EACH ROW EXECUTE FUNCTION service_audit_append_only()",
                "CREATE TRIGGER service_audit_no_truncate BEFORE TRUNCATE ON service_audit FOR EACH STATEMENT EXECUTE FUNCTION service_audit_append_only()",
                """
                CREATE TABLE staff (
                    name text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
                    role text NOT NULL CHECK (role IN ('reviewer', 'admin')),
                    password_hash text NOT NULL,
                    totp_secret text,
                    totp_last_step bigint NOT NULL DEFAULT 0,
                    created_at bigint NOT NULL,
                    disabled_at bigint,
                    failed_logins bigint NOT NULL DEFAULT 0,
                    locked_until bigint NOT NULL DEFAULT 0
                )
                """,
                """
                CREATE TABLE staff_session (
                    id_sha256 bytea PRIMARY KEY CHECK (length(id_sha256) = 32),
                    staff_name text NOT NULL REFERENCES staff(name),
                    csrf_token text NOT NULL,
                    created_at bigint NOT NULL,
                    last_seen_at bigint NOT NULL,
                    client text NOT NULL
                )
                """,
                "CREATE INDEX staff_session_staff ON staff_session (staff_name)",
                """
                CREATE TABLE rule_file (
                    sha256 text PRIMARY KEY CHECK (length(sha256) = 64),
                    name text NOT NULL,
                    text text NOT NULL,
                    first_loaded_at bigint NOT NULL
                )
                """,
            ])
        // Workers find a claimed file's upload by its spool file (`markIngesting`, `settle`).
        migrator.register(
            "server-v2-upload-spool-file", ["CREATE INDEX upload_waiting_file ON upload (spool_file) WHERE status IN ('queued', 'ingesting')"])
        return migrator
    }
}
