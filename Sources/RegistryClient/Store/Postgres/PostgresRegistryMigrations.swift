/// The registry's tables in PostgreSQL: the same columns and checks as in SQLite
/// (`RegistryMigrations`), named migrations never edited once shipped. The history is
/// append-only by trigger (no UPDATE, DELETE or TRUNCATE), and every insert notifies
/// `abuse_ingest_registry` at commit, so that DNS servers on other hosts learn of changes.
enum PostgresRegistryMigrations {
    /// The channel a registry change is announced on.
    static let channel = "abuse_ingest_registry"

    static func register(in migrator: inout PostgresMigrator) {
        migrator.register(
            "registry-v1",
            [
                """
                CREATE TABLE registration (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    network text NOT NULL,
                    family integer NOT NULL CHECK (family IN (4, 6)),
                    net_high bigint NOT NULL,
                    net_low bigint NOT NULL,
                    prefix_length integer NOT NULL CHECK (prefix_length BETWEEN 0 AND 128),
                    registrant text NOT NULL CHECK (length(registrant) BETWEEN 1 AND 64),
                    status text NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
                    abuse_contact text NOT NULL CHECK (length(abuse_contact) BETWEEN 3 AND 254),
                    valid_from bigint NOT NULL,
                    recorded_at bigint NOT NULL,
                    cause text NOT NULL,
                    source text NOT NULL,
                    case_id text,
                    provisional boolean NOT NULL DEFAULT false
                )
                """,
                "CREATE INDEX registration_network ON registration (family, net_high, net_low, prefix_length, valid_from)",
                "CREATE INDEX registration_registrant ON registration (registrant)",
                """
                CREATE FUNCTION registration_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'registration history is append-only' USING ERRCODE = 'restrict_violation';
                END $$
                """,
                """
                CREATE TRIGGER registration_no_change BEFORE UPDATE OR DELETE ON registration
                    FOR EACH ROW EXECUTE FUNCTION registration_append_only()
                """,
                """
                CREATE TRIGGER registration_no_truncate BEFORE TRUNCATE ON registration
                    FOR EACH STATEMENT EXECUTE FUNCTION registration_append_only()
                """,
                """
                CREATE FUNCTION registration_announce() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('\(channel)', '');
                    RETURN NULL;
                END $$
                """,
                """
                CREATE TRIGGER registration_changed AFTER INSERT ON registration
                    FOR EACH STATEMENT EXECUTE FUNCTION registration_announce()
                """,
                """
                CREATE TABLE registry_import (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    file text NOT NULL,
                    sha256 text NOT NULL,
                    imported_at bigint NOT NULL,
                    rows bigint NOT NULL,
                    changed bigint NOT NULL
                )
                """,
            ])
    }
}
