#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Replay throughput of Phalanx (parsers + scenarios + postoverflows, time-machine mode) on the
# generated ssh and nginx mixes with the hub collections of the differential check, beside
# CrowdSec 1.4.6 on the same files, measured in the same run. Prints per mix and worker count
# the median of REPS runs: lines/s (processing, without start-up), wall time, peak RSS and
# alerts; then the peak RSS with every hub parser and scenario loaded, the bucket engine's own
# figures (bench/scenario) and CrowdSec's figures with the ratio.
#
#   LINES_SSH (default 200000), LINES_NGINX (default 200000), SEED (default 1), REPS (default 3),
#   WORKERS (default "1 2"), CROWDSEC (default 1: also run bench/run_replay_crowdsec.sh with its
#   own LINES_CS_SSH / LINES_CS_NGINX, default 50000 / 5000), PHALANX_HUB_DIR.
#
# CrowdSec replays a few thousand ssh lines/s and about 200 nginx lines/s here, so it gets
# smaller files cut from the same generator stream (same seed, so the same traffic mix); lines/s
# are compared, not wall times.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
repo=$(pwd)
lines_ssh=${LINES_SSH:-200000}
lines_nginx=${LINES_NGINX:-200000}
seed=${SEED:-1}
reps=${REPS:-3}
workers_list=${WORKERS:-"1 2"}
hub=${PHALANX_HUB_DIR:-$repo/../shared/hub}
export TZ=UTC
[ -x /usr/bin/time ] || { echo "run_replay: /usr/bin/time missing (Debian package: time)" >&2; exit 2; }
[ -f "$hub/.index.json" ] || { echo "run_replay: no hub at $hub (set PHALANX_HUB_DIR)" >&2; exit 2; }

cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DPHALANX_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench -j"${JOBS:-2}" --target phalanx phalanx-loggen scenario_bench >/dev/null
phalanx=$repo/build-bench/userspace/cli/phalanx
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
replay_logs ./build-bench/bench/loggen/phalanx-loggen "$work" "$lines_ssh" "$lines_nginx" "$seed"
# Year-less syslog stamps take the current year on both sides (CrowdSec uses the wall clock).
year=${YEAR:-$(date -u +%Y)}

ssh_args=("${replay_ssh_args[@]}")
nginx_args=("${replay_nginx_args[@]}")


# One run: prints "lines_per_s wall_s rss_kb alerts".
run_once() {
  local log=$1 workers=$2; shift 2
  /usr/bin/time -f '%e %M' -o "$work/time" "$phalanx" replay --file "$log" --hub "$hub" --year "$year" \
    --workers "$workers" -o json "$@" >"$work/alerts.json" 2>"$work/stderr"
  local lps
  lps=$(sed -n 's/.* — \([0-9]*\) lines\/s.*/\1/p' "$work/stderr" | tail -1)
  echo "$lps $(cat "$work/time") $(wc -l <"$work/alerts.json")"
}

echo "Phalanx replay (time machine), Release, seed $seed, median of $reps, TZ=UTC"
declare -A best
for mix in ssh nginx; do
  if [ "$mix" = ssh ]; then log=$work/ssh.log; args=("${ssh_args[@]}"); n=$lines_ssh
  else log=$work/nginx.log; args=("${nginx_args[@]}"); n=$lines_nginx; fi
  for w in $workers_list; do
    : >"$work/runs"
    for _ in $(seq "$reps"); do run_once "$log" "$w" "${args[@]}" >>"$work/runs"; done
    lps=$(cut -d' ' -f1 "$work/runs" | median)
    wall=$(cut -d' ' -f2 "$work/runs" | median)
    rss=$(cut -d' ' -f3 "$work/runs" | median)
    alerts=$(cut -d' ' -f4 "$work/runs" | median)
    printf "%-6s %7d lines, %d worker(s): %8.0f lines/s; wall %6.2f s; peak RSS %6.1f MB; %d alerts\n" \
      "$mix" "$n" "$w" "$lps" "$wall" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$alerts"
    [ "$w" = 1 ] && best[$mix]=$lps
  done
done

# Every hub parser, scenario and postoverflow loaded, replaying the ssh file's first 1000 lines.
head -1000 "$work/ssh.log" >"$work/small.log"
/usr/bin/time -f '%M' -o "$work/time" "$phalanx" replay --file "$work/small.log" --type syslog \
  --hub "$hub" --year "$year" -o json >/dev/null 2>"$work/stderr"
printf "peak RSS with every hub parser, scenario and postoverflow loaded: %.1f MB\n" \
  "$(awk -v k="$(cat "$work/time")" 'BEGIN { print k / 1024 }')"

echo "bucket engine alone (bench/scenario):"
./build-bench/bench/scenario/scenario_bench --benchmark_repetitions="$reps" \
  --benchmark_report_aggregates_only=true 2>/dev/null | awk '/_median|BytesPerBucket/ { print "  " $0 }'

if [ "${CROWDSEC:-1}" = 1 ]; then
  echo
  LINES_SSH=${LINES_CS_SSH:-50000} LINES_NGINX=${LINES_CS_NGINX:-5000} SEED=$seed REPS=$reps \
    ./bench/run_replay_crowdsec.sh | tee "$work/cs.txt"
  for mix in ssh nginx; do
    cs=$(awk -v m="$mix" '$1 == m { for (i = 1; i <= NF; i++) if ($i == "read+parse+pour") { print $(i + 1); exit } }' "$work/cs.txt")
    [ -n "$cs" ] && [ -n "${best[$mix]:-}" ] &&
      printf "ratio %-6s Phalanx 1 worker / CrowdSec read+parse+pour: %.0fx\n" "$mix" "$(awk -v a="${best[$mix]}" -v b="$cs" 'BEGIN { print a / b }')"
  done
fi
