import RegistryClient

/// The engine's tables in PostgreSQL: the columns and checks of the SQLite ones
/// (`EngineMigrations`, in their latest form), named migrations never edited once shipped.
///
/// Segments, their members and their blocks live in tables partitioned by the segment's
/// first day (native range partitioning, one partition per day, made as days arrive:
/// `SegmentPartitions`), so that an old day is dropped or archived partition by partition.
/// Members and blocks carry that day as their partition key; the references between the
/// three are kept by the code that writes them in one transaction, as foreign keys into
/// partitioned tables would pin every partition to every other.
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
                    shipment_id bigint NOT NULL REFERENCES shipment(id),
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
    }
}
