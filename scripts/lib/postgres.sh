# Shared by scripts/test and scripts/test-storage: a PostgreSQL server for the
# tests, in CRM_PG_URL. Source it, then call `ensure_postgres`:
#   - CRM_PG_URL already set: use that server;
#   - else PostgreSQL server binaries installed: start a throwaway cluster on
#     127.0.0.1 (a free port, a temporary directory, stopped and removed when
#     the calling script exits);
#   - else with CI=true: install Debian's `postgresql`, then as above;
#   - else: say clearly that the PostgreSQL tests will skip.

pg_bin() {
    # The newest installed server version's binaries, if any.
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ]; then
        printf '%s\n' "$dir"
    fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pg_dir=""
pg_ctl_cmd=()
stop_postgres() {
    if [ -n "$pg_dir" ]; then
        "${pg_ctl_cmd[@]}" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$pg_dir"
    fi
}

start_postgres() {
    local bin="$1" as=()
    pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/crm-pg.XXXXXX")
    trap stop_postgres EXIT
    if [ "$(id -u)" = 0 ]; then
        # The server refuses to run as root: run it as the postgres user.
        chown postgres:postgres "$pg_dir"
        as=(runuser -u postgres --)
    fi
    pg_ctl_cmd=("${as[@]}" "$bin/pg_ctl")
    "${as[@]}" "$bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 >"$pg_dir/initdb.log" 2>&1 \
        || { cat "$pg_dir/initdb.log"; return 1; }
    local port attempt
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        port=$((20000 + (RANDOM % 40000)))
        port_in_use "$port" && continue
        if "${pg_ctl_cmd[@]}" -D "$pg_dir/data" -l "$pg_dir/pg.log" -w \
            -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1" start >/dev/null; then
            export CRM_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
            echo "throwaway PostgreSQL ($("$bin/postgres" --version)) on 127.0.0.1:$port in $pg_dir"
            return 0
        fi
    done
    echo "could not start a throwaway PostgreSQL; its log:" >&2
    cat "$pg_dir/pg.log" >&2 || true
    return 1
}

ensure_postgres() {
    if [ -n "${CRM_PG_URL:-}" ]; then
        echo "using the server at CRM_PG_URL"
    else
        bin=$(pg_bin)
        if [ -z "$bin" ] && [ "${CI:-}" = "true" ]; then
            echo "CI: installing PostgreSQL server binaries (apt-get install postgresql)"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
            bin=$(pg_bin)
        fi
        if [ -n "$bin" ]; then
            start_postgres "$bin"
        else
            echo "PostgreSQL not available: skipping the PostgreSQL suite" \
                 "(set CRM_PG_URL, or install the postgresql package)"
        fi
    fi
}
