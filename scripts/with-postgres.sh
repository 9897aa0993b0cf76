#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a command against a private, throwaway PostgreSQL cluster:
#   scripts/with-postgres.sh build/tests/unit/storage/storage_test --gtest_filter='*/postgres'
# The cluster lives in a temporary directory, owned by user `postgres` when run as root (initdb
# refuses root), listens on 127.0.0.1 only, on a free port, with a random password; its Unix
# socket stays inside the temporary directory. PHALANX_TEST_PG_URL is exported for the command.
# The cluster is stopped and removed however the command ends; the script exits with its status.
#   PG_BIN (default /usr/lib/postgresql/15/bin)
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 command [args...]" >&2
  exit 2
fi
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$pg_bin/initdb" ]; then
  echo "with-postgres: $pg_bin/initdb not found (apt-get install postgresql)" >&2
  exit 1
fi

as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  as_owner=(runuser -u postgres --)
fi

dir=$(mktemp -d /tmp/phalanx-pg-XXXXXX)
data=$dir/data
started=0
cleanup() {
  if [ "$started" -eq 1 ]; then
    "${as_owner[@]}" "$pg_bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 ||
      "${as_owner[@]}" "$pg_bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
mkdir -p "$dir/sock"
printf '%s\n' "$password" >"$dir/pwfile"
if [ "${#as_owner[@]}" -gt 0 ]; then
  chown -R postgres: "$dir"
fi
chmod 700 "$dir"

"${as_owner[@]}" "$pg_bin/initdb" -D "$data" -U postgres --pwfile="$dir/pwfile" \
  --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2
  exit 1
}
rm -f "$dir/pwfile"

# A free port: bind port 0 on loopback and take what the kernel gives; retry if another process
# grabs it before the server binds.
for attempt in 1 2 3 4 5; do
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if "${as_owner[@]}" "$pg_bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/sock" start >/dev/null 2>&1; then
    started=1
    break
  fi
  echo "with-postgres: start on port $port failed (attempt $attempt)" >&2
done
if [ "$started" -ne 1 ]; then
  cat "$dir/server.log" >&2 || true
  exit 1
fi

export PHALANX_TEST_PG_URL="postgresql://postgres:$password@127.0.0.1:$port/postgres"
status=0
"$@" || status=$?
exit "$status"
