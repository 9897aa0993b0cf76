#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live throughput of phalanxd following a file (tail mode, inotify): the generated ssh or nginx
# mix (bench/loggen) is appended to a followed file as fast as the disk takes it, and the time
# until phalanxd has read and processed every line is measured from its /metrics. Then a
# burst: the steady phase writes LINES/10 lines paced over 5 s, followed by LINES at once
# (10x the steady volume in one go): every line must be counted once and the peak RSS stays
# bounded by the queues, not by the burst.
#   LINES (default 500000), MIX (ssh or nginx, default ssh), REPS (default 3), WORKERS (0: cores)
# Prints per repetition and the median: lines/s, CPU seconds per million lines, peak RSS.
set -uo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
root=$(pwd)
lines=${LINES:-500000}
mix=${MIX:-ssh}
reps=${REPS:-3}
workers=${WORKERS:-0}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DPHALANX_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench -j"${JOBS:-2}" --target phalanxd phalanx-loggen >/dev/null || exit 1
phalanxd=$root/build-bench/userspace/daemon/phalanxd
WORK=$(mktemp -d /tmp/phx-live.XXXXXX)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
type=syslog
[ "$mix" = nginx ] && type=nginx
"$root/build-bench/bench/loggen/phalanx-loggen" --kind "$mix" --lines "$lines" --seed 1 >"$WORK/input.log"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

metric() {  # sum of a metric's samples
  curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 ~ "^"m"({|$)" { s += $2 } END { printf "%d\n", s }'
}
start_daemon() {
  rm -rf "$WORK/state" "$WORK/phalanx.db"* "$WORK/followed.log"
  touch "$WORK/followed.log"
  printf 'filenames: [%s]\nlabels: {type: %s}\n' "$WORK/followed.log" "$type" >"$WORK/acquis.yaml"
  printf 'db: sqlite://%s/phalanx.db\ndata_dir: %s/state\nlog_level: warn\nagent: {acquis: %s, acquis_dir: %s/none, workers: %s}\nlapi: {listen: "127.0.0.1:%s"}\n' \
    "$WORK" "$WORK" "$WORK/acquis.yaml" "$WORK" "$workers" "$port" >"$WORK/config.yaml"
  "$phalanxd" -c "$WORK/config.yaml" >"$WORK/phalanxd.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
  sleep 0.5  # the file source is up once the LAPI answers and the agent logged its sources
}
stop_daemon() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
wait_count() {  # wait_count N: until phalanx_parser_lines_total reaches N (or 300 s)
  local want=$1
  for _ in $(seq 1 6000); do
    [ "$(metric phalanx_parser_lines_total)" -ge "$want" ] && return 0
    sleep 0.05
  done
  return 1
}

hz=$(getconf CLK_TCK)
echo "phalanxd live, $mix mix, $lines lines, Release, workers=$workers ($(nproc) cores)"
: >"$WORK/runs"
for r in $(seq 1 "$reps"); do
  start_daemon
  c0=$(cpu_ticks)
  t0=$(date +%s.%N)
  cat "$WORK/input.log" >>"$WORK/followed.log"
  if ! wait_count "$lines"; then echo "run $r: stalled at $(metric phalanx_parser_lines_total) lines"; stop_daemon; continue; fi
  t1=$(date +%s.%N)
  c1=$(cpu_ticks)
  rss=$(awk '/VmHWM/ { print $2 }' "/proc/$PID/status")
  read_total=$(metric phalanx_acquisition_lines_total)
  stop_daemon
  python3 -c "
n, t, cpu, rss = $lines, $t1 - $t0, ($c1 - $c0) / $hz, $rss
print(f'run $r: {n / t:9.0f} lines/s  wall {t:6.2f} s  cpu {cpu:6.2f} s ({cpu / n * 1e6:5.1f} s per M lines)  peak RSS {rss / 1024:6.1f} MB  read {$read_total}')
print(f'{n / t:.0f} {cpu / n * 1e6:.2f} {rss / 1024:.1f}', file=open('$WORK/runs', 'a'))"
done
printf 'median: %s lines/s, %s CPU s per M lines, peak RSS %s MB\n' \
  "$(cut -d' ' -f1 "$WORK/runs" | median)" "$(cut -d' ' -f2 "$WORK/runs" | median)" "$(cut -d' ' -f3 "$WORK/runs" | median)"

echo "burst: $((lines / 10)) lines paced over 5 s, then $lines at once"
start_daemon
python3 - "$WORK/input.log" "$WORK/followed.log" "$((lines / 10))" <<'PY'
import sys, time
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(src, "rb").readlines()[:n]
with open(dst, "ab", buffering=0) as out:
    step = max(1, n // 100)
    for i in range(0, n, step):
        out.write(b"".join(lines[i:i + step]))
        time.sleep(5 / 100)
PY
rss_steady=$(awk '/VmRSS/ { print $2 }' "/proc/$PID/status")
cat "$WORK/input.log" >>"$WORK/followed.log"
total=$((lines / 10 + lines))
if wait_count "$total"; then
  sleep 1
  got=$(metric phalanx_acquisition_lines_total)
  parsed=$(metric phalanx_parser_lines_total)
  rss=$(awk '/VmHWM/ { print $2 }' "/proc/$PID/status")
  printf 'burst: written %d, read %d, processed %d (%s); RSS steady %.1f MB, peak %.1f MB\n' \
    "$total" "$got" "$parsed" "$([ "$got" -eq "$total" ] && [ "$parsed" -eq "$total" ] && echo 'none lost, none twice' || echo MISMATCH)" \
    "$(awk -v k="$rss_steady" 'BEGIN { print k / 1024 }')" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
else
  echo "burst: stalled at $(metric phalanx_parser_lines_total) of $total lines"
fi
stop_daemon
