#!/usr/bin/env bash
# Start a private, throwaway PostgreSQL cluster for the test suite and print its URL.
# Usage: eval "$(.ci/postgres.sh start)"   …   .ci/postgres.sh stop
set -euo pipefail
PGPORT="${PGPORT:-54329}"
PGROOT="${PGROOT:-/tmp/deskbot-pg}"

bindir() {
  local version
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  echo "/usr/lib/postgresql/${version}/bin"
}

case "${1:-start}" in
  start)
    if [ "${DESKBOT_APT_DONE:-}" = 1 ]; then
      :  # .ci/run installed the system packages already
    elif ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2; then
      [ -d /usr/lib/postgresql ] || { echo "could not install PostgreSQL" >&2; exit 1; }
      echo "apt-get failed; using the PostgreSQL already installed" >&2
    fi
    BIN=$(bindir)
    id postgres >/dev/null 2>&1 || useradd --system --home "$PGROOT" postgres
    rm -rf "$PGROOT" && mkdir -p "$PGROOT/data" "$PGROOT/socket"
    chown -R postgres "$PGROOT"
    runuser -u postgres -- "$BIN/initdb" -D "$PGROOT/data" -U postgres --auth=trust -E UTF8 >/dev/null
    runuser -u postgres -- "$BIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/log" -w start \
      -o "-p $PGPORT -k $PGROOT/socket -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off" >/dev/null
    runuser -u postgres -- "$BIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres deskbot_test
    echo "export DATABASE_URL=postgresql://postgres@127.0.0.1:${PGPORT}/deskbot_test"
    ;;
  stop)
    runuser -u postgres -- "$(bindir)/pg_ctl" -D "$PGROOT/data" -m fast stop >/dev/null || true
    ;;
esac
