#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Local API before/after: the phalanxd of OLD_REF (built from `git archive` in its own directory)
# and the phalanxd of the working tree, measured in turn on the same data with the same clients
# (the working tree's bench/lapi/lapi_bench and wrk, as bench/run_lapi.sh uses them). RUNS rounds,
# old then new in each, so that load from elsewhere on the machine hits both alike; prints each
# figure's median per build and new/old.
#   - rss_1m_kb        RSS once the index holds 1M decisions (after start-up)
#   - startup_1m_ms    stream startup with 1M decisions, time to last byte (median of 3 pulls)
#   - get_ip_rps       GET /v1/decisions?ip= with 100k decisions (wrk -t2, WRK_CONNS connections)
#   - post1_aps        POST /v1/alerts, 1 alert + 1 decision per request, 4 client threads
#   - post50_aps       the same in batches of 50
#   - prop_p50_ms/p99  POST -> a push client held in wait= (PROP_N decisions)
# Env: OLD_REF (9440a07), OLD_DIR (build-old: sources in it, build in OLD_DIR/build), BUILD
# (build), RUNS (3), WRK_CONNS (64), SECONDS_RUN (10), PROP_N (200), JOBS (1).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
old_ref=${OLD_REF:-9440a07}
old_dir=${OLD_DIR:-build-old}
build=${BUILD:-build}
runs=${RUNS:-3}
conns=${WRK_CONNS:-64}
secs=${SECONDS_RUN:-10}
prop_n=${PROP_N:-200}
jobs=${JOBS:-1}

if [ ! -x "$old_dir/build/userspace/daemon/phalanxd" ]; then
  mkdir -p "$old_dir"
  git archive "$old_ref" | tar -x -C "$old_dir"
  cmake -S "$old_dir" -B "$old_dir/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPHALANX_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$old_dir/build" -j"$jobs" --target phalanxd >/dev/null
cmake --build "$build" -j"$jobs" --target phalanxd lapi_bench >/dev/null
declare -A daemon=([old]=$(pwd)/$old_dir/build/userspace/daemon/phalanxd
                   [new]=$(pwd)/$build/userspace/daemon/phalanxd)
bench=$(pwd)/$build/bench/lapi/lapi_bench
work=$(mktemp -d)
trap 'stop_phalanxd; rm -rf "$work"' EXIT

# seeded N: a fresh copy of a database seeded with N decisions (seeded once), in $work/run;
# sets dir and key.
seeded() {
  local n=$1
  if [ ! -d "$work/seed$n" ]; then
    mkdir -p "$work/seed$n"
    "$bench" seed "sqlite://$work/seed$n/phalanx.db" "$n" >"$work/seed$n/key"
  fi
  rm -rf "$work/run"
  cp -r "$work/seed$n" "$work/run"
  dir=$work/run
  key=$(cat "$dir/key")
}

results=$work/results  # lines "build figure value"
record() { echo "$1 $2 $3" >>"$results"; }

for round in $(seq 1 "$runs"); do
  for b in old new; do
    echo "== round $round: $b" >&2
    seeded 1000000
    start_phalanxd "${daemon[$b]}" "$dir"
    record "$b" rss_1m_kb "$(awk '/VmRSS/{print $2}' /proc/$phalanxd_pid/status)"
    record "$b" startup_1m_ms "$("$bench" startup "$port" "$key" 3 | awk '{print $2}')"
    stop_phalanxd

    seeded 100000
    start_phalanxd "${daemon[$b]}" "$dir"
    rps=$(wrk -t2 -c"$conns" -d"${secs}s" -H "X-Api-Key: $key" -H "User-Agent: wrk/1" \
      "http://127.0.0.1:$port/v1/decisions?ip=10.0.1.1" | awk '/Requests\/sec/{print $2}')
    record "$b" get_ip_rps "$rps"
    stop_phalanxd

    seeded 0
    start_phalanxd "${daemon[$b]}" "$dir"
    record "$b" post1_aps "$("$bench" post "$port" "$secs" 1 4 | awk '{print $2}')"
    record "$b" post50_aps "$("$bench" post "$port" "$secs" 50 4 | awk '{print $2}')"
    prop=$("$bench" propagation "$port" "$key" "$prop_n")
    record "$b" prop_p50_ms "$(echo "$prop" | awk '{print $3}')"
    record "$b" prop_p99_ms "$(echo "$prop" | awk '{print $5}')"
    stop_phalanxd
  done
done

echo "old: $old_ref ($old_dir), new: $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)"
echo "runs: $runs each, interleaved; date: $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-15s %12s %12s %8s   %s\n' figure old new new/old "old runs | new runs"
for f in rss_1m_kb startup_1m_ms get_ip_rps post1_aps post50_aps prop_p50_ms prop_p99_ms; do
  o=$(awk -v f=$f '$1=="old" && $2==f {print $3}' "$results" | median)
  n=$(awk -v f=$f '$1=="new" && $2==f {print $3}' "$results" | median)
  all_o=$(awk -v f=$f '$1=="old" && $2==f {printf "%s ", $3}' "$results")
  all_n=$(awk -v f=$f '$1=="new" && $2==f {printf "%s ", $3}' "$results")
  printf '%-15s %12s %12s %8s   %s| %s\n' "$f" "$o" "$n" "$(awk -v o="$o" -v n="$n" \
    'BEGIN {printf (o > 0 ? "%.2f" : "-"), n / o}')" "$all_o" "$all_n"
done
