# A throwaway PostgreSQL cluster for the tests (issue 17): initdb in a temporary folder,
# pg_ctl on a private port on 127.0.0.1 (as the postgres user when run as root), stopped and
# deleted by stop_test_postgres. Exports ABUSE_INGEST_TEST_POSTGRES, the URL the tests
# create their databases through. Sourced, not run; needs setup.sh's say.

PG_TEST_DIR=""
PG_TEST_BIN=""
PG_TEST_AS=()

start_test_postgres() {
    PG_TEST_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    if [ -z "$PG_TEST_BIN" ] || [ ! -x "$PG_TEST_BIN/initdb" ]; then
        say "error: PostgreSQL's server is missing: apt-get install postgresql-15"
        exit 2
    fi
    PG_TEST_DIR=$(mktemp -d /tmp/abuse-ingest-pg.XXXXXX)
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$PG_TEST_DIR"
        PG_TEST_AS=(runuser -u postgres --)
    fi
    "${PG_TEST_AS[@]}" "$PG_TEST_BIN/initdb" -D "$PG_TEST_DIR/data" -U postgres -A trust -E UTF8 --no-sync >"$PG_TEST_DIR/initdb.log" 2>&1 \
        || { cat "$PG_TEST_DIR/initdb.log" >&2; say "error: initdb failed"; exit 1; }
    local port
    for port in $(seq 55432 55482); do
        if "${PG_TEST_AS[@]}" "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w -t 30 \
            -o "-p $port -k $PG_TEST_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300" \
            start >/dev/null 2>&1; then
            export ABUSE_INGEST_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
            say "throwaway PostgreSQL on 127.0.0.1:$port ($PG_TEST_DIR)"
            return 0
        fi
    done
    cat "$PG_TEST_DIR/server.log" >&2 || true
    say "error: could not start PostgreSQL on any port of 55432-55482"
    exit 1
}

stop_test_postgres() {
    [ -n "$PG_TEST_DIR" ] || return 0
    "${PG_TEST_AS[@]}" "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_TEST_DIR"
    PG_TEST_DIR=""
}
