#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Decision added in the LAPI -> first packet dropped, end to end. Debian's crowdsec 1.4.6 LAPI
# (unpacked privately, as in tests/integration) and phalanx-xdp run in network namespace A, a
# pinger in namespace B sends ICMP echo from a fresh source every 2 ms. For each trial the
# decision is POSTed to /v1/alerts (as cscli does, with a machine JWT obtained beforehand); t0
# is taken just before the POST is sent (on an open connection), the drop time is the send time of the first unanswered echo
# (last reply's timestamp + 2 ms). CrowdSec has no push, so the bouncer polls every
# update_frequency (FREQ, default 1s) and the latency is about uniform on [0, FREQ].
# LAPI=phalanxd runs phalanxd instead: the bouncer holds a push request (wait=) and the decision
# arrives as soon as the LAPI has committed it.
#   TRIALS (default 20), FREQ (1s), LAPI (crowdsec or phalanxd), BUILD_DIR (build)
# Needs root. Traffic stays inside the two namespaces it creates.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD_DIR:-build}
trials=${TRIALS:-20}
freq=${FREQ:-1s}
lapi=${LAPI:-crowdsec}
if [ -z "${PHX_IN_MNTNS:-}" ]; then
  cmake --build "$build" -j"${JOBS:-2}" --target phalanx-xdp phalanx phalanxd >/dev/null || exit 1
  exec env PHX_IN_MNTNS=1 unshare -m --propagation private "$0" "$@"
fi
mount -t bpf bpf /sys/fs/bpf
source "$root/tests/integration/crowdsec_lapi.sh"
cs_unpack || { echo "cannot unpack crowdsec"; exit 1; }
NSA=phx-la-$$ NSB=phx-lb-$$ IFA=phxla$$ IFB=phxlb$$
WORK=$(mktemp -d /tmp/phx-xdp-lat.XXXXXX)
PIN=/sys/fs/bpf/phalanx-lat
DAEMON=
LAPI_PID=
cleanup() {
  [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
  [ -n "$LAPI_PID" ] && kill "$LAPI_PID" 2>/dev/null && wait "$LAPI_PID" 2>/dev/null
  cs_stop
  ip netns del "$NSA" 2>/dev/null
  ip netns del "$NSB" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
A() { nsenter --net="/run/netns/$NSA" "$@"; }
B() { nsenter --net="/run/netns/$NSB" "$@"; }
ip netns add "$NSA" && ip netns add "$NSB"
ip link add "$IFA" netns "$NSA" type veth peer name "$IFB" netns "$NSB"
A ip link set lo up && B ip link set lo up
A ip addr add 10.200.0.1/16 dev "$IFA"
for i in $(seq 1 "$trials"); do B ip addr add "10.200.1.$i/16" dev "$IFB"; done
A ip link set "$IFA" up && B ip link set "$IFB" up

if [ "$lapi" = phalanxd ]; then
  # phalanxd in namespace A, with a SQLite file of its own; the CLI works on the same file.
  CS_PORT=$(cs_free_port)
  DB="sqlite://$WORK/phalanx.db"
  KEY=$("$root/$build/userspace/cli/phalanx" bouncers add phalanx-xdp-lat --db "$DB" -o raw)
  login=bench-agent
  password=bench-password-$$
  "$root/$build/userspace/cli/phalanx" machines add "$login" --password "$password" --db "$DB" >/dev/null
  nsenter --net="/run/netns/$NSA" "$root/$build/userspace/daemon/phalanxd" --db "$DB" \
    --listen "127.0.0.1:$CS_PORT" --log-level warn >"$WORK/phalanxd.log" 2>&1 &
  LAPI_PID=$!
  for _ in $(seq 1 100); do A curl -s -o /dev/null "http://127.0.0.1:$CS_PORT/health" && break; sleep 0.1; done
else
  CS_WRAP="nsenter --net=/run/netns/$NSA"
  cs_start "$WORK/cs" || exit 1
  KEY=$(cs_cscli bouncers add phalanx-xdp-lat -o raw 2>/dev/null | tr -d '\n')
  creds=$WORK/cs/config/local_api_credentials.yaml
  login=$(sed -n 's/^login: *//p' "$creds")
  password=$(sed -n 's/^password: *//p' "$creds")
fi
TOKEN=$(A curl -s -X POST -H 'Content-Type: application/json' -A crowdsec/v1.4.6 \
  -d "{\"machine_id\":\"$login\",\"password\":\"$password\",\"scenarios\":[]}" \
  "http://127.0.0.1:$CS_PORT/v1/watchers/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
cat >"$WORK/xdp.yaml" <<YAML
api_url: http://127.0.0.1:$CS_PORT/
api_key: $KEY
update_frequency: $freq
interfaces: [$IFA]
pin_dir: $PIN
log_level: warn
YAML
nsenter --net="/run/netns/$NSA" "$root/$build/bouncer-xdp/phalanx-xdp" -c "$WORK/xdp.yaml" \
  >"$WORK/xdp.log" 2>&1 &
DAEMON=$!
sleep 2

lat=()
missed=0
for i in $(seq 1 "$trials"); do
  src=10.200.1.$i
  B ping -D -n -i 0.002 -W 0.5 -w 4 -I "$src" 10.200.0.1 >"$WORK/ping.$i" 2>&1 &
  pinger=$!
  sleep 0.$((RANDOM % 5 + 2))
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  body="[{\"capacity\":0,\"decisions\":[{\"duration\":\"1h\",\"origin\":\"cscli\",\"scenario\":\"bench\",\"scope\":\"Ip\",\"type\":\"ban\",\"value\":\"$src\"}],\"events\":[],\"events_count\":1,\"leakspeed\":\"0\",\"message\":\"bench\",\"scenario\":\"bench\",\"scenario_hash\":\"\",\"scenario_version\":\"\",\"simulated\":false,\"source\":{\"ip\":\"$src\",\"scope\":\"Ip\",\"value\":\"$src\"},\"start_at\":\"$now\",\"stop_at\":\"$now\"}]"
  # t0 is read after the client is up and connected, just before the request is sent, so the
  # figure does not include starting a process (tens of ms on a loaded machine).
  read -r t0 t1 < <(A python3 -c '
import http.client, sys, time
port, token, body = sys.argv[1], sys.argv[2], sys.argv[3].encode()
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
c.connect()
t0 = time.time()
c.request("POST", "/v1/alerts", body, {"Authorization": "Bearer " + token,
          "Content-Type": "application/json", "User-Agent": "crowdsec/v1.4.6"})
c.getresponse().read()
print(f"{t0:.6f} {time.time():.6f}")' "$CS_PORT" "$TOKEN" "$body")
  wait "$pinger"
  if ! A "$root/$build/userspace/cli/phalanx" xdp --pin-dir "$PIN" lookup "$src" | grep -q ': drop'; then
    printf 'trial %2d: not in the maps 4 s later (missed by the stream)\n' "$i"
    missed=$((missed + 1))
    continue
  fi
  # Timestamp of the last reply after t0; the next echo (2 ms later) was the first dropped.
  last=$(sed -n 's/^\[\([0-9.]*\)\] .*bytes from.*/\1/p' "$WORK/ping.$i" | tail -1)
  ms=$(python3 -c "print(round(($last + 0.002 - $t0) * 1000, 1))")
  lat+=("$ms")
  printf 'trial %2d: %7.1f ms (POST took %.1f ms)\n' "$i" "$ms" "$(python3 -c "print(($t1 - $t0) * 1000)")"
done
printf '%s\n' "${lat[@]}" | python3 -c '
import sys, statistics
v = sorted(float(x) for x in sys.stdin)
def pct(p): return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
print(f"n={len(v)} (missed: {sys.argv[1]}) p50={pct(50):.1f} ms p90={pct(90):.1f} ms p99={pct(99):.1f} ms max={v[-1]:.1f} ms mean={statistics.mean(v):.1f} ms")' "$missed"
