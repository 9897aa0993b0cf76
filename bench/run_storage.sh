#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Store throughput on SQLite and PostgreSQL (bench/storage/storage_bench): alerts/s with one
# alert + one decision per insert_alerts() call and with batches of 50, and load_decisions()
# time over 100k and 1M decisions. Each run gets a fresh database: a file in a temporary
# directory, or a new database on a private cluster (scripts/with-postgres.sh). Prints the
# median of REPS runs per figure.
#   REPS (default 3), SINGLE (alerts, default 5000), BATCH (alerts, default 20000),
#   LOADS (default 100000,1000000), PG_SINGLE (default 1000), PG_BATCH (default 5000),
#   BACKENDS (default "sqlite postgres")
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${REPS:-3}
single=${SINGLE:-5000}
batch=${BATCH:-20000}
loads=${LOADS:-100000,1000000}
pg_single=${PG_SINGLE:-1000}
pg_batch=${PG_BATCH:-5000}
backends=${BACKENDS:-sqlite postgres}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DPHALANX_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench -j"${JOBS:-2}" --target storage_bench >/dev/null
bench=$(pwd)/build-bench/bench/storage/storage_bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for backend in $backends; do
  case $backend in
    sqlite)
      for rep in $(seq "$reps"); do
        mkdir -p "$work/sqlite$rep"
        "$bench" "sqlite://$work/sqlite$rep/bench.db" "$single" "$batch" "$loads" >>"$work/sqlite.out"
        rm -rf "$work/sqlite$rep"
      done
      ;;
    postgres)
      # One cluster for all runs, one fresh database per run.
      BENCH=$bench REPS=$reps ARGS="$pg_single $pg_batch $loads" OUT=$work/postgres.out \
        scripts/with-postgres.sh bash -c '
          set -euo pipefail
          for rep in $(seq "$REPS"); do
            psql -qX "$PHALANX_TEST_PG_URL" -c "CREATE DATABASE bench_$rep"
            url=${PHALANX_TEST_PG_URL%/*}/bench_$rep
            "$BENCH" "$url" $ARGS >>"$OUT"
            psql -qX "$PHALANX_TEST_PG_URL" -c "DROP DATABASE bench_$rep"
          done'
      ;;
    *) echo "run_storage: unknown backend $backend" >&2; exit 2 ;;
  esac
  echo "$backend (median of $reps runs)"
  awk '{ v[$1] = v[$1] " " $2; unit[$1] = $3 }
       END { for (k in v) print k, unit[k], v[k] }' "$work/$backend.out" | sort |
    while read -r name unit values; do
      median=$(printf '%s\n' $values | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
      printf '  %-16s %12s %s   (runs: %s)\n' "$name" "$median" "$unit" "$values"
    done
done
