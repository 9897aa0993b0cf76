#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Rotation while following: LINES lines (default 1M) are written to a file phalanxd follows,
# with ROTATIONS (default 10) rotations by rename along the way (app.log -> app.log.N, a new
# app.log), as logrotate does; every line must be read exactly once. Counted from phalanxd's
# /metrics (phalanx_acquisition_lines_total) once the writer is done and the count is stable.
# COPYTRUNCATE=1 rotates by copy and truncate instead (lines written between the copy and the
# truncation are lost by design of that method, so the count may fall short there).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
lines=${LINES:-1000000}
rotations=${ROTATIONS:-10}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DPHALANX_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench -j"${JOBS:-2}" --target phalanxd >/dev/null || exit 1
WORK=$(mktemp -d /tmp/phx-rotation.XXXXXX)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
touch "$WORK/app.log"
printf 'filenames: [%s]\nlabels: {type: syslog}\n' "$WORK/app.log" >"$WORK/acquis.yaml"
printf 'db: sqlite://%s/phalanx.db\ndata_dir: %s/state\nlog_level: warn\nagent: {acquis: %s, acquis_dir: %s/none}\nlapi: {listen: "127.0.0.1:%s"}\n' \
  "$WORK" "$WORK" "$WORK/acquis.yaml" "$WORK" "$port" >"$WORK/config.yaml"
"$root/build-bench/userspace/daemon/phalanxd" -c "$WORK/config.yaml" >"$WORK/phalanxd.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
sleep 0.5
count() { curl -s "http://127.0.0.1:$port/metrics" | awk '$1 ~ /^phalanx_acquisition_lines_total/ { s += $2 } END { printf "%d\n", s }'; }
start=$(date +%s.%N)
python3 - "$WORK/app.log" "$lines" "$rotations" "${COPYTRUNCATE:-0}" <<'PY'
import os, shutil, sys, time
path, total, rotations, copytruncate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
per_file = total // (rotations + 1)
n = 0
out = open(path, "ab", buffering=0)
for r in range(rotations + 1):
    todo = per_file if r < rotations else total - n
    chunk = []
    for _ in range(todo):
        chunk.append(f"Dec  3 10:00:00 host app[1]: line {n}\n".encode())
        n += 1
        if len(chunk) == 1000:
            out.write(b"".join(chunk)); chunk = []
    if chunk: out.write(b"".join(chunk))
    if r == rotations: break
    time.sleep(0.2)  # logrotate runs between writes, not in the middle of a burst of lines
    if copytruncate:
        shutil.copy(path, f"{path}.{r + 1}"); out.truncate(0); out.seek(0)
    else:
        out.close(); os.rename(path, f"{path}.{r + 1}"); out = open(path, "ab", buffering=0)
out.close()
PY
last=-1
for _ in $(seq 1 600); do
  c=$(count)
  [ "$c" -eq "$last" ] && [ "$c" -ge "$lines" ] && break
  [ "$c" -eq "$last" ] && [ "$c" -gt 0 ] && sleep 1 && [ "$(count)" -eq "$c" ] && break
  last=$c
  sleep 0.5
done
end=$(date +%s.%N)
got=$(count)
python3 -c "print(f'rotation: written $lines lines across $rotations rotations ($([ "${COPYTRUNCATE:-0}" = 1 ] && echo copytruncate || echo rename)); read $got; {\"exactly once\" if $got == $lines else (\"LOST \" + str($lines - $got) if $got < $lines else \"REPEATED \" + str($got - $lines))}; {$lines / ($end - $start):.0f} lines/s end to end')"
