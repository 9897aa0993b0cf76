#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two phalanxd LAPI instances on one PostgreSQL: an alert with a decision posted to instance A
# reaches a bouncer holding a push-stream request (wait=) on instance B within one second,
# through LISTEN/NOTIFY. Run under scripts/with-postgres.sh, which provides PHALANX_TEST_PG_URL:
#
#   scripts/with-postgres.sh tests/integration/lapi_two_instances_test.sh PHALANXD PHALANX
set -uo pipefail
phalanxd=${1:?usage: lapi_two_instances_test.sh PHALANXD PHALANX}
phalanx=${2:?phalanx binary}
db=${PHALANX_TEST_PG_URL:?run under scripts/with-postgres.sh}
die() { echo "FAIL: $*"; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() {  # start NAME PORT
  cat >"$work/$1.yaml" <<YAML
lapi:
  listen: 127.0.0.1:$2
db: $db
profiles: $(cd "$(dirname "$0")/../.." && pwd)/scenarios/profiles/profiles.yaml
YAML
  "$phalanxd" --config "$work/$1.yaml" >"$work/$1.log" 2>&1 &
  pids+=($!)
  local i
  for i in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$2/health" && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/$1.log"; die "phalanxd $1 exited"; }
    sleep 0.1
  done
  die "phalanxd $1 did not answer /health"
}
port_a=$(free_port)
port_b=$(free_port)
start a "$port_a"
start b "$port_b"

key=$("$phalanx" bouncers add two-instances --db "$db" -o raw) || die "phalanx bouncers add"
"$phalanx" machines add agent-a --password "two-instances-secret" --db "$db" >/dev/null ||
  die "phalanx machines add"

python3 - "$port_a" "$port_b" "$key" <<'PY' || die "propagation from A to B"
import json, sys, threading, time, urllib.request
port_a, port_b, key = sys.argv[1], sys.argv[2], sys.argv[3]
ua = {"User-Agent": "phalanx-test/1.0"}

def get(url, headers):
    req = urllib.request.Request(url, headers={**ua, **headers})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, dict(r.headers), r.read()

def post(url, body, headers):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={**ua, "Content-Type": "application/json", **headers})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.read()

b = f"http://127.0.0.1:{port_b}/v1/decisions/stream"
status, headers, body = get(b + "?startup=true", {"X-Api-Key": key})
cursor = headers.get("X-Phalanx-Cursor")
assert status == 200 and cursor, (status, headers)
print("B startup:", body.decode()[:80], "cursor", cursor)

result = {}
def waiter():
    t0 = time.monotonic()
    s, h, body = get(f"{b}?wait=10s&cursor={cursor}", {"X-Api-Key": key})
    result["t"] = time.monotonic()
    result["body"] = json.loads(body)
th = threading.Thread(target=waiter)
th.start()
time.sleep(0.5)  # the request is held on B

_, tok = post(f"http://127.0.0.1:{port_a}/v1/watchers/login",
              {"machine_id": "agent-a", "password": "two-instances-secret", "scenarios": []}, {})
token = json.loads(tok)["token"]
now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
alert = [{"scenario": "phalanx/two-instances", "scenario_hash": "", "scenario_version": "",
          "message": "test", "events_count": 1, "capacity": 0, "leakspeed": "0s",
          "start_at": now, "stop_at": now, "simulated": False, "events": [],
          "source": {"scope": "Ip", "value": "192.0.2.99", "ip": "192.0.2.99"},
          "decisions": [{"type": "ban", "duration": "1h", "scope": "Ip", "value": "192.0.2.99",
                         "origin": "cscli", "scenario": "phalanx/two-instances"}]}]
t_post = time.monotonic()
status, ids = post(f"http://127.0.0.1:{port_a}/v1/alerts", alert, {"Authorization": "Bearer " + token})
assert status == 201, status
th.join(15)
assert "t" in result, "B never answered the held request"
new = result["body"].get("new") or []
assert any(d["value"] == "192.0.2.99" for d in new), result["body"]
ms = (result["t"] - t_post) * 1000
print(f"decision posted to A reached B's waiting stream in {ms:.1f} ms")
assert ms < 1000, ms
PY
echo "PASS: two phalanxd instances on one PostgreSQL"
