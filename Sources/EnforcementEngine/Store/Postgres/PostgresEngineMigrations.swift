import RegistryClient

/// The engine's tables in PostgreSQL: the columns, checks and append-only triggers of the SQLite ones
/// (`EngineMigrations`, in their latest form), named migrations never edited once shipped.
///
/// Segments, their members and their blocks live in tables partitioned by the segment's
/// first day (native range partitioning, one partition per day, made as days arrive:
/// `SegmentPartitions`), so that an old day is dropped or archived partition by partition.
/// Members and blocks carry that day as their partition key. The references of members and
/// blocks (to their segment, and a member's to its shipment) are kept by the code that
/// writes them in one transaction, not by foreign keys: a key into a partitioned table
/// pins every partition to every other, and making a partition with a key to `shipment`
/// locks `shipment` against the ingests running meanwhile (a deadlock with one of them).
enum PostgresEngineMigrations {
    static var migrator: PostgresMigrator {
        var migrator = PostgresMigrator()
        register(in: &migrator)
        return migrator
    }

    static func register(in migrator: inout PostgresMigrator) {
        migrator.register(
            "engine-v1-ingest",
            [
                """
                CREATE TABLE reporter (
                    id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
                    name text NOT NULL,
                    organisation text NOT NULL,
                    timezone text NOT NULL,
                    unparsed_threshold double precision NOT NULL CHECK (unparsed_threshold BETWEEN 0 AND 1),
                    created_at bigint NOT NULL
                )
                """,
                """
                CREATE TABLE shipment (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    reporter_id text NOT NULL REFERENCES reporter(id),
                    sha256 text NOT NULL CHECK (length(sha256) = 64),
                    file_name text NOT NULL,
                    status text NOT NULL CHECK (status IN ('ingested', 'quarantined')),
                    received_at bigint NOT NULL,
                    bytes bigint NOT NULL,
                    lines bigint NOT NULL,
                    events bigint NOT NULL,
                    skipped bigint NOT NULL,
                    unparsed bigint NOT NULL,
                    first_event bigint,
                    last_event bigint,
                    future_events bigint NOT NULL,
                    distant_events bigint NOT NULL,
                    gap_hours bigint NOT NULL,
                    error text
                )
                """,
                "CREATE UNIQUE INDEX shipment_ingested_once ON shipment (sha256) WHERE status = 'ingested'",
                "CREATE INDEX shipment_reporter ON shipment (reporter_id, received_at)",
                "CREATE SEQUENCE segment_id AS bigint",
                """
                CREATE TABLE segment (
                    id bigint NOT NULL DEFAULT nextval('segment_id'),
                    reporter_id text NOT NULL REFERENCES reporter(id),
                    first_day integer NOT NULL,
                    last_day integer NOT NULL CHECK (last_day >= first_day),
                    records bigint NOT NULL,
                    PRIMARY KEY (id, first_day)
                ) PARTITION BY RANGE (first_day)
                """,
                "CREATE INDEX segment_days ON segment (first_day, last_day)",
                "CREATE INDEX segment_reporter ON segment (reporter_id, first_day)",
                """
                CREATE TABLE segment_member (
                    segment_id bigint NOT NULL,
                    member integer NOT NULL CHECK (member >= 0),
                    shipment_id bigint NOT NULL,
                    first_day integer NOT NULL,
                    PRIMARY KEY (segment_id, member, first_day)
                ) PARTITION BY RANGE (first_day)
                """,
                "CREATE INDEX segment_member_shipment ON segment_member (shipment_id)",
                """
                CREATE TABLE segment_block (
                    segment_id bigint NOT NULL,
                    first_key bytea NOT NULL,
                    data bytea NOT NULL,
                    key_filter bytea,
                    first_day integer NOT NULL,
                    PRIMARY KEY (segment_id, first_key, first_day)
                ) PARTITION BY RANGE (first_day)
                """,
                """
                CREATE FUNCTION segment_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'segments are immutable' USING ERRCODE = 'restrict_violation';
                END $$
                """,
                "CREATE TRIGGER segment_no_update BEFORE UPDATE ON segment FOR EACH ROW EXECUTE FUNCTION segment_immutable()",
                "CREATE TRIGGER segment_member_no_update BEFORE UPDATE ON segment_member FOR EACH ROW EXECUTE FUNCTION segment_immutable()",
                "CREATE TRIGGER segment_block_no_update BEFORE UPDATE ON segment_block FOR EACH ROW EXECUTE FUNCTION segment_immutable()",
            ])
        // Cases, their append-only audit log, contradictions and notices (kept: no delete).
        migrator.register(
            "engine-v2-cases",
            [
                """
                CREATE TABLE enforcement_case (
                    id text PRIMARY KEY,
                    subject text NOT NULL,
                    subject_kind text NOT NULL CHECK (subject_kind IN ('ip', 'registrant')),
                    registrant text,
                    rule_id text NOT NULL,
                    rule_sha256 text NOT NULL,
                    action text NOT NULL CHECK (action IN ('open_case', 'suspend', 'report')),
                    severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
                    status text NOT NULL CHECK (status IN ('open', 'suspended', 'confirmed', 'dismissed', 'reinstated')),
                    opened bigint NOT NULL,
                    updated bigint NOT NULL,
                    window_start bigint NOT NULL,
                    window_end bigint NOT NULL,
                    figures text NOT NULL,
                    reporters text NOT NULL,
                    registration text,
                    prior_status text
                )
                """,
                "CREATE UNIQUE INDEX case_one_open ON enforcement_case (subject, rule_id) WHERE status IN ('open', 'suspended')",
                "CREATE INDEX case_subject ON enforcement_case (subject, rule_id, status)",
                "CREATE INDEX case_queue ON enforcement_case ((CASE status WHEN 'suspended' THEN 0 WHEN 'open' THEN 1 ELSE 2 END), opened, id)",
                "CREATE INDEX case_rule ON enforcement_case (rule_id)",
                "CREATE INDEX case_status ON enforcement_case (status, severity)",
                """
                CREATE TABLE audit (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    case_id text NOT NULL REFERENCES enforcement_case(id),
                    time bigint NOT NULL,
                    actor text NOT NULL CHECK (length(actor) BETWEEN 1 AND 100),
                    action text NOT NULL,
                    from_status text,
                    to_status text,
                    reason text NOT NULL
                )
                """,
                "CREATE INDEX audit_case ON audit (case_id, to_status)",
                "CREATE INDEX audit_time ON audit (time)",
                "CREATE INDEX audit_actor ON audit (actor, time)",
                """
                CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'restrict_violation';
                END $$
                """,
                "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
                "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
                """
                CREATE TABLE contradiction (
                    reporter_id text NOT NULL,
                    subject text NOT NULL,
                    rule_id text NOT NULL,
                    as_of bigint NOT NULL,
                    witnesses bigint NOT NULL,
                    PRIMARY KEY (reporter_id, subject, rule_id, as_of)
                )
                """,
                """
                CREATE TABLE notice (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    case_id text NOT NULL REFERENCES enforcement_case(id),
                    kind text NOT NULL CHECK (kind IN ('report', 'decision')),
                    decision text,
                    reason text NOT NULL DEFAULT '',
                    recipient text NOT NULL,
                    status text NOT NULL CHECK (status IN ('queued', 'sent', 'deferred', 'failed')),
                    reply text NOT NULL DEFAULT '',
                    created bigint NOT NULL,
                    updated bigint NOT NULL,
                    attempts bigint NOT NULL DEFAULT 0,
                    next_attempt bigint NOT NULL
                )
                """,
                "CREATE INDEX notice_case ON notice (case_id, id)",
                "CREATE INDEX notice_due ON notice (next_attempt) WHERE status IN ('queued', 'deferred')",
                """
                CREATE FUNCTION notice_kept() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'notices are kept' USING ERRCODE = 'restrict_violation';
                END $$
                """,
                "CREATE TRIGGER notice_no_delete BEFORE DELETE ON notice FOR EACH ROW EXECUTE FUNCTION notice_kept()",
                "CREATE TRIGGER notice_no_truncate BEFORE TRUNCATE ON notice FOR EACH STATEMENT EXECUTE FUNCTION notice_kept()",
            ])
        migrator.register(
            "engine-v3-spool-queue",
            [
                """
                CREATE TABLE spool_queue (
                    path text PRIMARY KEY CHECK (length(path) BETWEEN 3 AND 4096),
                    reporter_id text NOT NULL,
                    queued_at bigint NOT NULL,
                    owner text,
                    lease_until bigint,
                    claims bigint NOT NULL DEFAULT 0
                )
                """,
                "CREATE INDEX spool_queue_order ON spool_queue (queued_at, path)",
            ])
    }
}
