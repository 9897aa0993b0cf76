#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Replay throughput of CrowdSec 1.4.6, the reference Phalanx is measured against: the same
# generated ssh and nginx logs and the same hub collections as Phalanx's replay benchmark and
# differential check (tests/differential/). Prints, per mix, the median of REPS runs: wall time,
# lines/s, lines/s net of start-up and shutdown, CPU time, peak RSS and alert count.
#
#   LINES_SSH (default 50000), LINES_NGINX (default 5000), SEED (default 1), REPS (default 3),
#   MIX (ssh, nginx or all; default all), DUMP=1 to time hubtest's -dump-data mode instead,
#   NICE (default 5), KEEP=DIR to keep logs, configs and raw timings, SSH_COLLECTIONS and
#   NGINX_COLLECTIONS (space-separated; defaults below). Also the environment of
#   tests/differential/crowdsec_ref.sh (PHALANX_CROWDSEC_PREFIX, PHALANX_HUB_DIR, ...).
#
# Why the line counts are small: CrowdSec replays about 3,000 ssh lines/s and about 200 nginx
# lines/s on this machine (2 cores, shared), so these sizes keep one run under a minute or so.
# Lines/s scale linearly at these sizes; the Phalanx figures come from 1M-line files.
#
# How it is timed, and why:
#  * /usr/bin/time (Debian package `time`) gives wall time, CPU time and peak RSS of the crowdsec
#    process. CrowdSec spreads work over goroutines, so CPU time is not "one core"; it is given
#    because it is steadier than wall time when other work shares the machine.
#  * Mode: a plain `crowdsec -dsn file://... -type T` whose alerts go to its private LAPI
#    (SQLite), what an operator's replay does. DUMP=1 adds hubtest's -dump-data, which keeps every
#    parsed event in memory and writes ~5 KB of YAML per ssh line at exit (785 MB peak RSS for
#    3,000 ssh lines): not a fair figure, and more than this machine can hold at 50,000 lines.
#  * Alerts are counted from the agent's log ("Ip X performed 'S' ..." at -info), which also
#    works when a run must be killed at the end: 1.4.6 can deadlock once the file is read (bucket
#    goroutines blocked sending overflows nobody reads); crowdsec_ref.sh kills it 60 s after
#    "Acquisition is finished" and such a run is marked "hung" (its wall time and alert count are
#    then bounds, not measurements).
#  * A third figure, "read+parse+pour", is the time between the agent's "Starting processing
#    data" and "Acquisition is finished" log lines (1 s resolution; within 5 % on runs of 20 s):
#    the engine's own rate, without start-up, LAPI flush and shutdown.
#  * Every run includes a fixed start-up (loading parsers, scenarios, data files, the LAPI) and a
#    shutdown (outputs get up to a few seconds to flush). An empty log is timed the same way, and
#    `net lines/s` = lines / (wall - empty wall).
#  * Runs under `nice -n $NICE`: the machine's two cores are shared with other work.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
repo=$(pwd)
lines_ssh=${LINES_SSH:-50000}
lines_nginx=${LINES_NGINX:-5000}
seed=${SEED:-1}
reps=${REPS:-3}
mix=${MIX:-all}
dump=${DUMP:-0}
nice_level=${NICE:-5}
build=${PHALANX_BUILD_DIR:-$repo/build}
loggen=${PHALANX_LOGGEN:-$build/bench/loggen/phalanx-loggen}
ref=$repo/tests/differential/crowdsec_ref.sh
export TZ=UTC

[ -x /usr/bin/time ] || { echo "run_replay_crowdsec: /usr/bin/time missing (Debian package: time)" >&2; exit 2; }
if [ ! -x "$loggen" ]; then
  # Only the generator is needed; wait for a build already running in the same dir rather than
  # start a second one beside it.
  while pgrep -f "cmake --build $build( |$)" >/dev/null 2>&1; do sleep 20; done
  [ -x "$loggen" ] || cmake --build "$build" --target phalanx-loggen -j2 >&2
fi

if [ -n "${KEEP:-}" ]; then
  work=$KEEP
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/phalanx-bench-crowdsec.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
trap 'exit 130' INT TERM

"$ref" fetch >/dev/null


# phase_seconds LOG: seconds between "Starting processing data" and "Acquisition is finished" in
# crowdsec's log (its stamps look like time="03-12-2026 15:09:44", day first).
phase_seconds() {
  local a b
  a=$(grep -m1 'msg="Starting processing data"' "$1" | sed -E 's/^time="([0-9]+)-([0-9]+)-([0-9]+) ([0-9:]+)".*/\3-\2-\1 \4/')
  b=$(grep -m1 'Acquisition is finished' "$1" | sed -E 's/^time="([0-9]+)-([0-9]+)-([0-9]+) ([0-9:]+)".*/\3-\2-\1 \4/')
  if [ -n "$a" ] && [ -n "$b" ]; then
    echo $(($(date -u -d "$b" +%s) - $(date -u -d "$a" +%s)))
  else
    echo nan
  fi
}

# time_run DIR LOG TYPE OUTPREFIX: one timed replay; writes OUTPREFIX.time and OUTPREFIX.alerts.
time_run() {
  local dir=$1 log=$2 type=$3 out=$4 mode=(--no-dump)
  [ "$dump" = 1 ] && mode=(--dump "$out.dump")
  local rc=0
  "$ref" run --dir "$dir" --file "$log" --type "$type" "${mode[@]}" \
    --wrap nice --wrap -n --wrap "$nice_level" \
    --wrap /usr/bin/time --wrap -f --wrap "PHALANX_TIME %e %M %U %S" || rc=$?
  case "$rc" in
    0) rm -f "$out.hung" ;;
    3) cp "$dir/log/hung" "$out.hung" ;;
    *) exit "$rc" ;;
  esac
  # "wall_s rss_kb cpu_s": CPU time (user + system) is less sensitive to the other work sharing
  # the two cores than wall time is.
  local phase
  phase=$(phase_seconds "$dir/log/replay.out")
  grep 'PHALANX_TIME' "$dir/log/replay.out" | tail -1 | awk -v p="$phase" '{print $2, $3, $4 + $5, p}' >"$out.time"
  "$ref" log-alerts "$dir" >"$out.alerts"
  if [ "$dump" = 1 ] && [ "$rc" = 0 ]; then
    "$ref" extract "$out.dump" 2>/dev/null >"$out.dump-alerts"
  fi
  rm -rf "$out.dump"
}

bench_mix() {
  # bench_mix NAME KIND TYPE LINES COLLECTION...
  local name=$1 kind=$2 type=$3 lines=$4
  shift 4
  local cols=() c
  for c in "$@"; do cols+=(--collection "$c"); done
  local d=$work/$name
  mkdir -p "$d"
  "$loggen" --kind "$kind" --lines "$lines" --seed "$seed" >"$d/log"
  : >"$d/empty.log"
  "$ref" prepare --dir "$d/cfg" "${cols[@]}" 2>"$d/prepare.err" || { cat "$d/prepare.err" >&2; exit 1; }
  local nsc nref
  nsc=$(wc -l <"$d/cfg/loaded_scenarios.txt")
  nref=$(wc -l <"$d/cfg/refused.tsv")
  echo "$name: $lines lines (seed $seed), $nsc scenarios loaded, $nref hub item(s) refused by 1.4.6" >&2
  # The fixed cost, measured once per rep as well so that its median is as robust as the rest.
  local i
  for i in $(seq 1 "$reps"); do
    time_run "$d/cfg" "$d/empty.log" "$type" "$d/empty.$i"
    time_run "$d/cfg" "$d/log" "$type" "$d/run.$i"
    local hung=""
    [ ! -f "$d/run.$i.hung" ] || hung=" HUNG at the end, killed ($(cat "$d/run.$i.hung"))"
    echo "  run $i: $(cat "$d/run.$i.time") (wall s, peak RSS KB, CPU s, read+parse+pour s); empty log: $(cat "$d/empty.$i.time"); $(wc -l <"$d/run.$i.alerts") alerts$hung" >&2
  done
  # Wall time and alert count of a run killed at the end are not measurements: take them from
  # the runs that exited by themselves when there are any (the engine phase, CPU and RSS of a
  # hung run are still sound, so those use every run).
  local ok=() all=()
  for i in $(seq 1 "$reps"); do
    all+=("$i")
    [ -f "$d/run.$i.hung" ] || ok+=("$i")
  done
  [ ${#ok[@]} -gt 0 ] || ok=("${all[@]}")
  local wall empty rss alerts triples cpu cpu_empty phase
  phase=$(for i in $(seq 1 "$reps"); do cut -d' ' -f4 "$d/run.$i.time"; done | median)
  wall=$(for i in "${ok[@]}"; do cut -d' ' -f1 "$d/run.$i.time"; done | median)
  empty=$(for i in $(seq 1 "$reps"); do cut -d' ' -f1 "$d/empty.$i.time"; done | median)
  cpu=$(for i in $(seq 1 "$reps"); do cut -d' ' -f3 "$d/run.$i.time"; done | median)
  cpu_empty=$(for i in $(seq 1 "$reps"); do cut -d' ' -f3 "$d/empty.$i.time"; done | median)
  rss=$(for i in $(seq 1 "$reps"); do cut -d' ' -f2 "$d/run.$i.time"; done | median)
  alerts=$(for i in "${ok[@]}"; do wc -l <"$d/run.$i.alerts"; done | median)
  triples=$(sort -u "$d/run.${ok[0]}.alerts" | wc -l)
  local nhung
  nhung=$(find "$d" -maxdepth 1 -name 'run.*.hung' | wc -l)
  awk -v n="$name" -v l="$lines" -v w="$wall" -v e="$empty" -v r="$rss" -v a="$alerts" -v t="$triples" \
    -v c="$cpu" -v ce="$cpu_empty" -v p="$phase" -v reps="$reps" -v h="$nhung" \
    'BEGIN {
       net = (w - e > 0) ? l / (w - e) : 0;
       netcpu = (c - ce > 0) ? l / (c - ce) : 0;
       ph = (p > 0) ? l / p : 0;
       printf "%-6s %6d lines: read+parse+pour %6.0f lines/s (%s s); wall %6.2f s = %6.0f lines/s, net of start+stop (%.2f s) %6.0f lines/s; CPU %6.2f s, net %6.0f lines per CPU-s; peak RSS %5.1f MB; %d alerts, %d distinct (scenario, scope, value); median of %d%s\n",
              n, l, ph, p, w, l / w, e, net, c, netcpu, r / 1024, a, t, reps,
              (h > 0) ? sprintf(" (%d run(s) hung at the end and were killed: wall and alerts from the others)", h) : "" }'
}

mode_name="alerts to the private LAPI"
[ "$dump" = 1 ] && mode_name="-dump-data (hubtest mode)"
echo "CrowdSec 1.4.6 replay (time machine), $mode_name, nice -n $nice_level, TZ=UTC"
# Collections. crowdsecurity/linux is in the nginx mix too, as on every real install: its
# syslog-logs file holds the `non-syslog` s00-raw node (message and program from a non-syslog
# source) and it brings dateparse-enrich. Without it no nginx line gets past s00-raw, in CrowdSec
# as in the hub's own nginx tests, and the benchmark would time an idle pipeline.
# shellcheck disable=SC2206 # word splitting of the lists is intended
ssh_cols=(${SSH_COLLECTIONS:-crowdsecurity/sshd crowdsecurity/linux})
# shellcheck disable=SC2206
nginx_cols=(${NGINX_COLLECTIONS:-crowdsecurity/nginx crowdsecurity/base-http-scenarios crowdsecurity/http-cve crowdsecurity/linux})
case "$mix" in ssh|all)
  bench_mix ssh ssh syslog "$lines_ssh" "${ssh_cols[@]}" ;;
esac
case "$mix" in nginx|all)
  bench_mix nginx nginx nginx "$lines_nginx" "${nginx_cols[@]}" ;;
esac
case "$mix" in ssh|nginx|all) ;; *) echo "MIX is ssh, nginx or all" >&2; exit 2 ;; esac
[ -z "${KEEP:-}" ] || echo "kept logs, configs and raw timings in $work" >&2
