#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# POST /v1/alerts A/B of two phalanxd binaries, fast enough to repeat many times on a noisy
# machine: each round starts a fresh daemon of each binary in turn on a fresh SQLite file, runs
# `lapi_bench post` against it (CLIENTS clients, BATCH alerts of one decision per call, SECONDS
# each) and reads the daemon's CPU time from /proc. Prints every run, then per binary the median
# alerts/s and server CPU per call, and the ratio of the medians.
# Usage: bench/run_lapi_post_ab.sh OLD_PHALANXD NEW_PHALANXD
# Env: CLIENTS (4), BATCH (1), ROUNDS (5), SECONDS_RUN (6), BUILD (build: its lapi_bench).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ $# -eq 2 ] || { sed -n 3,9p "$0" >&2; exit 2; }
clients=${CLIENTS:-4}
batch=${BATCH:-1}
rounds=${ROUNDS:-5}
secs=${SECONDS_RUN:-6}
bench=$(pwd)/${BUILD:-build}/bench/lapi/lapi_bench
work=$(mktemp -d)
trap 'stop_phalanxd; rm -rf "$work"' EXIT
ticks=$(getconf CLK_TCK)

for r in $(seq 1 "$rounds"); do
  for side in old new; do
    bin=$1
    [ "$side" = new ] && bin=$2
    dir=$work/$side$r
    mkdir -p "$dir"
    "$bench" seed "sqlite://$dir/phalanx.db" 0 >/dev/null
    start_phalanxd "$bin" "$dir"
    cpu0=$(awk '{print $14 + $15}' "/proc/$phalanxd_pid/stat")
    out=$("$bench" post "$port" "$secs" "$batch" "$clients")
    cpu1=$(awk '{print $14 + $15}' "/proc/$phalanxd_pid/stat")
    stop_phalanxd
    rate=$(awk '{print $2}' <<<"$out")
    calls=$(awk -v b="$batch" '{print $8 / b}' <<<"$out")
    us=$(awk -v c="$calls" -v d=$((cpu1 - cpu0)) -v t="$ticks" 'BEGIN { printf "%.0f", d / t * 1e6 / c }')
    echo "round $r $side alerts_per_s $rate server_us_per_call $us"
    echo "$rate" >>"$work/$side.rate"
    echo "$us" >>"$work/$side.us"
    rm -rf "$dir"
  done
done
old=$(median <"$work/old.rate")
new=$(median <"$work/new.rate")
echo "median old alerts_per_s $old server_us_per_call $(median <"$work/old.us")"
echo "median new alerts_per_s $new server_us_per_call $(median <"$work/new.us")"
awk -v o="$old" -v n="$new" 'BEGIN { printf "new/old %.2f\n", n / o }'
