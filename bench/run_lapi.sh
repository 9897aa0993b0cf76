#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Local API figures against the real phalanxd on 127.0.0.1 with a SQLite file in a temporary
# directory (bench/lapi/lapi_bench seeds it and plays the clients; wrk drives GET /v1/decisions):
#   - stream startup, time to last byte, with 100k and 1M decisions (median of REPS pulls)
#   - GET /v1/decisions?ip= requests/s with 100k decisions (wrk, WRK_CONNS connections)
#   - POST /v1/alerts alerts/s, one alert + one decision per request (4 and 8 clients) and
#     batches of 50 (4 clients)
#   - propagation POST -> a push client held in wait= (p50/p99 over PROP_N decisions)
#   - RSS per idle stream client with IDLE_N held push requests
# Env: BUILD (default build), REPS (5), WRK_CONNS (64), SECONDS_RUN (10), PROP_N (200),
# IDLE_N (10000), SIZES (default "100000 1000000").
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
build=${BUILD:-build}
reps=${REPS:-5}
conns=${WRK_CONNS:-64}
secs=${SECONDS_RUN:-10}
prop_n=${PROP_N:-200}
idle_n=${IDLE_N:-10000}
sizes=${SIZES:-100000 1000000}
cmake --build "$build" -j"${JOBS:-2}" --target phalanxd lapi_bench >/dev/null
phalanxd=$(pwd)/$build/userspace/daemon/phalanxd
bench=$(pwd)/$build/bench/lapi/lapi_bench
work=$(mktemp -d)
trap 'stop_phalanxd; rm -rf "$work"' EXIT

for n in $sizes; do
  dir=$work/db$n
  mkdir -p "$dir"
  key=$("$bench" seed "sqlite://$dir/phalanx.db" "$n")
  start_phalanxd "$phalanxd" "$dir"
  echo "== $n decisions: rss after index load $(awk '/VmRSS/{print $2}' /proc/$phalanxd_pid/status) kB"
  "$bench" startup "$port" "$key" "$reps"
  if [ "$n" = 100000 ]; then
    wrk -t2 -c"$conns" -d"${secs}s" -H "X-Api-Key: $key" -H "User-Agent: wrk/1" \
      "http://127.0.0.1:$port/v1/decisions?ip=10.0.1.1" | grep -E 'Requests/sec|Latency'
  fi
  stop_phalanxd
  rm -rf "$dir"
done

dir=$work/post
mkdir -p "$dir"
key=$("$bench" seed "sqlite://$dir/phalanx.db" 0)
start_phalanxd "$phalanxd" "$dir"
echo "== POST /v1/alerts"
"$bench" post "$port" "$secs" 1 4
"$bench" post "$port" "$secs" 1 8
"$bench" post "$port" "$secs" 50 4
echo "== propagation POST -> waiting push client"
"$bench" propagation "$port" "$key" "$prop_n"
echo "== idle push clients"
"$bench" idle "$port" "$key" "$phalanxd_pid" "$idle_n"
stop_phalanxd
