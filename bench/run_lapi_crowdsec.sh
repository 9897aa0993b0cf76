#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Local API beside CrowdSec 1.4.6's (Debian's package, unpacked privately as in
# tests/integration/crowdsec_lapi.sh, SQLite), same machine, same load tools, same data:
#   - N decisions imported with each side's own CLI (`cscli decisions import`, `phalanx
#     decisions import`; the same CSV), timed
#   - stream startup (GET /v1/decisions/stream?startup=true), time to last byte with curl,
#     median of REPS pulls
#   - GET /v1/decisions?ip= requests/s with wrk (WRK_CONNS connections, SECONDS_RUN s)
#   - POST /v1/alerts, one alert with one decision per request, requests/s with wrk (a machine
#     JWT from /v1/watchers/login on each side)
# Both run on 127.0.0.1 one after the other, never at the same time. Prints a table with the
# ratio Phalanx/CrowdSec for each figure.
# Env: N (default 100000), REPS (5), WRK_CONNS (64), SECONDS_RUN (10), BUILD (build).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD:-build}
n=${N:-100000}
reps=${REPS:-5}
conns=${WRK_CONNS:-64}
secs=${SECONDS_RUN:-10}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
cmake --build "$build" -j"${JOBS:-2}" --target phalanxd phalanx >/dev/null || exit 1
phalanxd=$root/$build/userspace/daemon/phalanxd
phalanx=$root/$build/userspace/cli/phalanx
# shellcheck source=../tests/integration/crowdsec_lapi.sh
. "$root/tests/integration/crowdsec_lapi.sh"
cs_unpack || { echo "cannot fetch Debian's crowdsec package"; exit 1; }

work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  cs_stop
  rm -rf "$work"
}
trap cleanup EXIT

# The same decisions for both: N distinct IPv4 addresses from 11.0.0.0 on, 24h bans.
python3 - "$n" >"$work/decisions.csv" <<'PY'
import sys
n = int(sys.argv[1])
print("duration,scope,type,value,reason")
for i in range(n):
    print(f"24h,Ip,ban,{11 + (i >> 24)}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255},bench-import")
PY
probe_ip=11.0.$(((n / 2 >> 8) & 255)).$((n / 2 & 255))

cat >"$work/post.lua" <<'LUA'
-- One alert with one decision per request; the address changes with each request.
local counter = 0
request = function()
  counter = counter + 1
  local ip = string.format("10.%d.%d.%d", math.floor(counter / 65536) % 256,
                           math.floor(counter / 256) % 256, counter % 256)
  local now = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local body = string.format([=[[{"scenario":"bench/post","scenario_hash":"","scenario_version":"","message":"bench","events_count":1,"capacity":0,"leakspeed":"0s","start_at":"%s","stop_at":"%s","simulated":false,"events":[],"source":{"scope":"Ip","value":"%s","ip":"%s"},"decisions":[{"type":"ban","duration":"1h","scope":"Ip","value":"%s","origin":"cscli","scenario":"bench/post"}]}]]=], now, now, ip, ip, ip)
  return wrk.format("POST", "/v1/alerts", nil, body)
end
LUA

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }

# measure NAME PORT KEY TOKEN: prints "name import_s startup_s get_rps post_rps"
measure() {
  local name=$1 port=$2 key=$3 token=$4 i
  local startup get post
  startup=$(for i in $(seq 1 "$reps"); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "X-Api-Key: $key" \
      -H "User-Agent: bench/1.0" "http://127.0.0.1:$port/v1/decisions/stream?startup=true"
  done | median)
  # Answers other than 2xx would not be work done: they are counted and reported.
  wrk -t2 -c"$conns" -d"${secs}s" -H "X-Api-Key: $key" -H "User-Agent: bench/1.0" \
    "http://127.0.0.1:$port/v1/decisions?ip=$probe_ip" >"$work/$name.get" 2>&1
  wrk -t2 -c4 -d"${secs}s" -s "$work/post.lua" -H "Authorization: Bearer $token" \
    -H "Content-Type: application/json" -H "User-Agent: crowdsec/v1.4.6-bench" \
    "http://127.0.0.1:$port" >"$work/$name.post" 2>&1
  get=$(awk '/Requests\/sec/ {print $2}' "$work/$name.get")
  post=$(awk '/Requests\/sec/ {print $2}' "$work/$name.post")
  if grep -q "Non-2xx" "$work/$name.get" "$work/$name.post"; then
    grep -H "Non-2xx" "$work/$name.get" "$work/$name.post" >&2
  fi
  echo "$name $startup $get $post"
}

login() {  # login PORT MACHINE PASSWORD
  curl -s -H "User-Agent: crowdsec/v1.4.6-bench" -H "Content-Type: application/json" \
    -d "{\"machine_id\":\"$2\",\"password\":\"$3\",\"scenarios\":[]}" \
    "http://127.0.0.1:$1/v1/watchers/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

echo "== CrowdSec 1.4.6 LAPI (N=$n)"
cs_start "$work/cs" || exit 1
t0=$(date +%s%N)
cs_cscli decisions import -i "$work/decisions.csv" >/dev/null 2>&1 || { echo "cscli decisions import failed"; exit 1; }
cs_import=$(awk -v ns=$(($(date +%s%N) - t0)) 'BEGIN {printf "%.2f", ns / 1e9}')
cs_key=$(cs_cscli bouncers add bench -o raw 2>/dev/null | tr -d '\n')
cs_cscli machines add bench-agent --password bench-password-123 --force >/dev/null 2>&1
cs_line=$(measure crowdsec "$CS_PORT" "$cs_key" "$(login "$CS_PORT" bench-agent bench-password-123)")
cs_stop
echo "$cs_line import=${cs_import}s"

echo "== phalanxd (N=$n)"
db="sqlite://$work/phalanx.db"
port=$(cs_free_port)
t0=$(date +%s%N)
"$phalanx" decisions import -i "$work/decisions.csv" --db "$db" >/dev/null || exit 1
px_import=$(awk -v ns=$(($(date +%s%N) - t0)) 'BEGIN {printf "%.2f", ns / 1e9}')
px_key=$("$phalanx" bouncers add bench --db "$db" -o raw)
"$phalanx" machines add bench-agent --password bench-password-123 --db "$db" >/dev/null
"$phalanxd" --db "$db" --listen "127.0.0.1:$port" --log-level warn >"$work/phalanxd.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
px_line=$(measure phalanx "$port" "$px_key" "$(login "$port" bench-agent bench-password-123)")
echo "$px_line import=${px_import}s"

python3 - "$cs_line" "$cs_import" "$px_line" "$px_import" "$n" <<'PY'
import sys
cs = sys.argv[1].split(); px = sys.argv[3].split()
rows = [("decisions import (s)", float(sys.argv[2]), float(sys.argv[4]), True),
        ("stream startup, time to last byte (s, median)", float(cs[1]), float(px[1]), True),
        ("GET /v1/decisions?ip= (req/s)", float(cs[2]), float(px[2]), False),
        ("POST /v1/alerts, 1 alert + 1 decision (req/s)", float(cs[3]), float(px[3]), False)]
print(f"\nN = {sys.argv[5]} decisions")
print(f"{'figure':48} {'CrowdSec 1.4.6':>15} {'Phalanx':>12} {'Phalanx advantage':>18}")
for name, c, p, lower_is_better in rows:
    ratio = (c / p) if lower_is_better else (p / c)
    print(f"{name:48} {c:15.3f} {p:12.3f} {ratio:17.1f}x")
PY
