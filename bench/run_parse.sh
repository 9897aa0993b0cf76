#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Parse throughput (lines/s on one core) of Phalanx's parsers and of the hub's sshd and nginx
# parser chains, on deterministic generated logs. Prints the median of REPS runs per case.
#   LINES (default 200000), SEED (default 1), REPS (default 5), PHALANX_HUB_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${LINES:-200000}
seed=${SEED:-1}
reps=${REPS:-5}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DPHALANX_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench -j"${JOBS:-2}" --target parse_bench phalanx-loggen >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./build-bench/bench/loggen/phalanx-loggen --kind ssh --lines "$lines" --seed "$seed" >"$work/ssh.log"
./build-bench/bench/loggen/phalanx-loggen --kind nginx --lines "$lines" --seed "$seed" >"$work/nginx.log"
export PHALANX_BENCH_SSH_LOG=$work/ssh.log PHALANX_BENCH_NGINX_LOG=$work/nginx.log
export PHALANX_HUB_DIR=${PHALANX_HUB_DIR:-$(pwd)/../shared/hub}
echo "parse throughput, one core, $lines generated lines per log (seed $seed), median of $reps"
./build-bench/bench/parse/parse_bench --benchmark_repetitions="$reps" \
  --benchmark_report_aggregates_only=true --benchmark_min_time=2 2>&1 |
  awk '/_median/ {
         ips = ""; ratio = "";
         for (i = 1; i <= NF; i++) {
           if ($i ~ /^items_per_second=/) { ips = $i; sub(/items_per_second=/, "", ips); sub(/\/s$/, "", ips) }
           if ($i ~ /^parsed_ratio=/) { ratio = $i; sub(/parsed_ratio=/, "", ratio) }
         }
         name = $1; sub(/^BM_Parse_/, "", name); sub(/_median$/, "", name);
         printf "%-16s %10s lines/s   (%.0f%% of lines parsed)\n", name, ips, ratio * 100 }
       /ERROR|error/ { print }'
