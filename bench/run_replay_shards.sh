#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Replay throughput with the scenarios on one thread and on several (phalanx replay --shards),
# side by side on the same generated ssh and nginx files with the collections of
# bench/run_replay.sh. Prints per mix and shard count the median of REPS runs (lines/s,
# processing only; wall time; peak RSS) and the ratio to one shard, and checks that every shard
# count printed byte-for-byte the same alerts as one shard.
#
#   LINES_SSH (default 200000), LINES_NGINX (default 100000), SEED (default 1), REPS (default 3),
#   SHARDS (default "1 2"), WORKERS (parser threads, default 1), YEAR (default 2026),
#   BUILD_DIR (default build-bench: configured Release and built here unless BUILD=0),
#   PHALANX_HUB_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
repo=$(pwd)
lines_ssh=${LINES_SSH:-200000}
lines_nginx=${LINES_NGINX:-100000}
seed=${SEED:-1}
reps=${REPS:-3}
shards_list=${SHARDS:-"1 2"}
workers=${WORKERS:-1}
year=${YEAR:-2026}
build=${BUILD_DIR:-build-bench}
hub=${PHALANX_HUB_DIR:-$repo/../shared/hub}
export TZ=UTC
[ -x /usr/bin/time ] || { echo "run_replay_shards: /usr/bin/time missing (Debian package: time)" >&2; exit 2; }
[ -f "$hub/.index.json" ] || { echo "run_replay_shards: no hub at $hub (set PHALANX_HUB_DIR)" >&2; exit 2; }

if [ "${BUILD:-1}" = 1 ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPHALANX_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build" -j"${JOBS:-2}" --target phalanx phalanx-loggen >/dev/null
fi
phalanx=$repo/$build/userspace/cli/phalanx
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
replay_logs "$build/bench/loggen/phalanx-loggen" "$work" "$lines_ssh" "$lines_nginx" "$seed"

ssh_args=("${replay_ssh_args[@]}")
nginx_args=("${replay_nginx_args[@]}")


# One run: prints "lines_per_s wall_s rss_kb"; the alerts go to $work/alerts.<shards>.json.
run_once() {
  local log=$1 shards=$2; shift 2
  /usr/bin/time -f '%e %M' -o "$work/time" "$phalanx" replay --file "$log" --hub "$hub" \
    --year "$year" --workers "$workers" --shards "$shards" -o json "$@" \
    >"$work/alerts.$shards.json" 2>"$work/stderr"
  local lps
  lps=$(sed -n 's/.* — \([0-9]*\) lines\/s.*/\1/p' "$work/stderr" | tail -1)
  echo "$lps $(cat "$work/time")"
}

echo "Phalanx replay by scenario shard count, seed $seed, $workers parser worker(s), median of $reps, TZ=UTC"
status=0
for mix in ssh nginx; do
  if [ "$mix" = ssh ]; then log=$work/ssh.log; args=("${ssh_args[@]}"); n=$lines_ssh
  else log=$work/nginx.log; args=("${nginx_args[@]}"); n=$lines_nginx; fi
  # Runs alternate between the shard counts, so that load from elsewhere on the machine falls on
  # all of them alike.
  for s in $shards_list; do : >"$work/runs.$s"; done
  for _ in $(seq "$reps"); do
    for s in $shards_list; do
      run_once "$log" "$s" "${args[@]}" >>"$work/runs.$s"
    done
  done
  base=
  for s in $shards_list; do
    cp "$work/runs.$s" "$work/runs"
    lps=$(cut -d' ' -f1 "$work/runs" | median)
    wall=$(cut -d' ' -f2 "$work/runs" | median)
    rss=$(cut -d' ' -f3 "$work/runs" | median)
    [ -z "$base" ] && { base=$lps; cp "$work/alerts.$s.json" "$work/alerts.base.json"; }
    same=identical
    cmp -s "$work/alerts.$s.json" "$work/alerts.base.json" || { same=DIFFERENT; status=1; }
    printf "%-6s %7d lines, %d shard(s): %8.0f lines/s (x%.2f); wall %6.2f s; peak RSS %6.1f MB; %d alerts, %s\n" \
      "$mix" "$n" "$s" "$lps" "$(awk -v a="$lps" -v b="$base" 'BEGIN { print a / b }')" "$wall" \
      "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$(wc -l <"$work/alerts.$s.json")" "$same"
  done
done
exit $status
