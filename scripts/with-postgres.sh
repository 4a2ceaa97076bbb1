#!/usr/bin/env bash
# Run a command with TOCSIN_TEST_POSTGRES_URL pointing at a private, throwaway PostgreSQL cluster.
# When the variable is already set (a real instance), or Debian's PostgreSQL binaries are missing, the
# command runs as it is (the PostgreSQL tests then use that instance, or skip — and fail under CI=true).
# The cluster lives in a temp dir on a free port (never the machine's own clusters) and is removed after.
set -euo pipefail

bins="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -n "${TOCSIN_TEST_POSTGRES_URL:-}" ] || [ -z "$bins" ] || [ ! -x "$bins/initdb" ]; then
  exec "$@"
fi

pg_ctl="$bins/pg_ctl"
pg_dir="$(mktemp -d /tmp/tocsin-pg.XXXXXX)"
chmod 755 "$pg_dir"
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$pg_dir"
  as_pg=(runuser -u postgres --)
fi
stop() {
  if [ -f "$pg_dir/data/postmaster.pid" ]; then
    "${as_pg[@]}" "$pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$pg_dir"
}
trap stop EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${as_pg[@]}" "$bins/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
  >"$pg_dir/initdb.log" 2>&1 || { cat "$pg_dir/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pg_dir -c fsync=off" start >/dev/null \
  || { cat "$pg_dir/server.log" >&2; exit 1; }
"$bins/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -q \
  -c "CREATE ROLE tocsin_test LOGIN PASSWORD 'tocsin_test'" -c "CREATE DATABASE tocsin_test OWNER tocsin_test"
export TOCSIN_TEST_POSTGRES_URL="postgresql+asyncpg://tocsin_test:tocsin_test@127.0.0.1:$port/tocsin_test"
echo "with-postgres: PostgreSQL ($bins) on 127.0.0.1:$port for the database tests"
"$@"
