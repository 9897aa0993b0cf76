#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The live demonstration, in throwaway network namespaces:
#
#   [phx-demo-net]  attacker 203.0.113.66, scanner 203.0.113.77, benign client 203.0.113.10
#        │ veth
#   [phx-demo-host] 203.0.113.1: login service :22 and web server :80 (scripts/demo/services.py,
#                   writing sshd- and nginx-format logs), phalanxd following those logs (agent +
#                   LAPI on SQLite), phalanx-xdp on the veth (push stream from phalanxd)
#
# An SSH brute force and an HTTP scan are played from the "net" namespace; the script shows the
# alerts, the decisions, and the attackers' packets dropped by XDP while the benign client's
# still flow. Everything is removed at the end.
#
#   scripts/demo.sh [--check] [--build-dir DIR]
# --check: quiet, and exits non-zero unless every step did what it should (the integration test).
# Needs root (network namespaces, XDP). Traffic stays inside the two namespaces.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=build
check=0
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=1 ;;
    --build-dir) build=$2; shift ;;
    *) echo "usage: $0 [--check] [--build-dir DIR]" >&2; exit 2 ;;
  esac
  shift
done
case "$build" in /*) ;; *) build="$root/$build" ;; esac
phalanx=$build/userspace/cli/phalanx
phalanxd=$build/userspace/daemon/phalanxd
xdp=$build/bouncer-xdp/phalanx-xdp
for b in "$phalanx" "$phalanxd" "$xdp"; do
  [ -x "$b" ] || { echo "demo: $b is not built" >&2; exit 1; }
done
if [ "$(id -u)" != 0 ]; then
  echo "demo: needs root (network namespaces and XDP)" >&2
  [ "$check" = 1 ] && exit 77  # the integration test reports itself skipped
  exit 1
fi
# A private mount namespace: bpffs is mounted for this run only, and the maps it pins vanish
# with it.
if [ -z "${PHX_DEMO_IN_MNTNS:-}" ]; then
  exec env PHX_DEMO_IN_MNTNS=1 unshare -m --propagation private "$0" "${args[@]}"
fi
mount -t bpf bpf /sys/fs/bpf

HOST=phx-demo-host-$$ NET=phx-demo-net-$$ IFH=phxdh$$ IFN=phxdn$$
WORK=$(mktemp -d /tmp/phalanx-demo.XXXXXX)
PIN=/sys/fs/bpf/phalanx-demo
ATTACKER=203.0.113.66 SCANNER=203.0.113.77 BENIGN=203.0.113.10 TARGET=203.0.113.1
failures=0
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  # $! is the shell that ran nsenter, not always the daemon itself: whatever still runs in the
  # namespaces is stopped too (TERM, then KILL after 5 s), so that no phalanxd outlives the demo.
  local left
  for i in $(seq 50); do
    left=$( (ip netns pids "$HOST"; ip netns pids "$NET") 2>/dev/null)
    [ -z "$left" ] && break
    if [ "$i" = 1 ]; then kill $left 2>/dev/null; elif [ "$i" = 50 ]; then kill -9 $left 2>/dev/null; fi
    sleep 0.1
  done
  ip netns del "$HOST" 2>/dev/null
  ip netns del "$NET" 2>/dev/null
  if [ "$failures" -ne 0 ] || [ -n "${PHX_DEMO_KEEP:-}" ]; then
    echo "demo: logs kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

say() { [ "$check" = 1 ] || printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { if [ "$check" = 1 ]; then cat >/dev/null; else cat; fi; }
expect() {  # expect DESCRIPTION COMMAND...: runs the command, counts a failure when it fails
  local what=$1
  shift
  if "$@"; then
    [ "$check" = 1 ] && echo "ok: $what"
  else
    echo "FAILED: $what" >&2
    failures=$((failures + 1))
  fi
  return 0
}
H() { nsenter --net="/run/netns/$HOST" "$@"; }
N() { nsenter --net="/run/netns/$NET" "$@"; }
# Waits up to $1 seconds for the command to succeed.
wait_for() {
  local secs=$1
  shift
  for _ in $(seq 1 $((secs * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

say "network: namespaces $HOST and $NET joined by a veth pair"
ip netns add "$HOST" && ip netns add "$NET" || exit 1
ip link add "$IFH" netns "$HOST" type veth peer name "$IFN" netns "$NET"
H ip link set lo up && N ip link set lo up
H ip addr add "$TARGET/24" dev "$IFH"
for a in "$ATTACKER" "$SCANNER" "$BENIGN"; do N ip addr add "$a/24" dev "$IFN"; done
H ip link set "$IFH" up && N ip link set "$IFN" up
# The veth's generic XDP needs the peer to be up and both ends to have a queue; wait for it.
wait_for 5 N ping -c1 -W1 -I "$BENIGN" "$TARGET" || { echo "demo: veth did not come up" >&2; exit 1; }

say "services on $TARGET: login :22 and web :80, logging to $WORK/auth.log and access.log"
touch "$WORK/auth.log" "$WORK/access.log"
H python3 "$root/scripts/demo/services.py" "$WORK/auth.log" "$WORK/access.log" >"$WORK/services.log" 2>&1 &
pids+=($!)
expect "the services answer" wait_for 10 N curl -sf --max-time 1 --interface "$BENIGN" "http://$TARGET/"

say "phalanxd: agent following both logs, Local API on 127.0.0.1 (SQLite)"
DB="sqlite://$WORK/phalanx.db"
cat >"$WORK/acquis.yaml" <<YAML
filenames: [$WORK/auth.log]
labels: {type: syslog}
---
filenames: [$WORK/access.log]
labels: {type: nginx}
YAML
cat >"$WORK/config.yaml" <<YAML
db: $DB
data_dir: $WORK/state
log_level: info
agent:
  acquis: $WORK/acquis.yaml
  acquis_dir: $WORK/acquis.d
lapi:
  listen: 127.0.0.1:8080
YAML
KEY=$("$phalanx" bouncers add demo-xdp --db "$DB" -o raw)
H "$phalanxd" --check -c "$WORK/config.yaml" >"$WORK/check.txt" 2>&1
expect "phalanxd --check accepts the demo configuration" grep -q 'is valid' "$WORK/check.txt"
H "$phalanxd" -c "$WORK/config.yaml" >"$WORK/phalanxd.log" 2>&1 &
pids+=($!)
expect "phalanxd answers on 127.0.0.1:8080" wait_for 10 H curl -sf http://127.0.0.1:8080/health
expect "phalanxd follows both logs" wait_for 10 grep -q 'agent: 2 source' "$WORK/phalanxd.log"

say "phalanx-xdp on $IFH, fed by phalanxd's push stream"
cat >"$WORK/xdp.yaml" <<YAML
api_url: http://127.0.0.1:8080/
api_key: $KEY
interfaces: [$IFH]
pin_dir: $PIN
log_level: info
YAML
H "$xdp" -c "$WORK/xdp.yaml" >"$WORK/xdp.log" 2>&1 &
pids+=($!)
expect "phalanx-xdp attached" wait_for 10 H "$phalanx" xdp --pin-dir "$PIN" status

say "before: everyone reaches the web server"
for a in "$ATTACKER" "$SCANNER" "$BENIGN"; do
  code=$(N curl -s -o /dev/null -w '%{http_code}' --max-time 2 --interface "$a" "http://$TARGET/")
  [ "$check" = 1 ] || printf '  %-14s GET /  -> %s\n' "$a" "$code"
  expect "$a reaches the web server before" test "$code" = 200
done

say "attack 1: SSH brute force from $ATTACKER (8 passwords)"
N python3 - "$ATTACKER" "$TARGET" <<'PY' | show
import socket, sys
src, dst = sys.argv[1], sys.argv[2]
s = socket.create_connection((dst, 22), timeout=3, source_address=(src, 0))
f = s.makefile("rwb")
print("  server:", f.readline().decode().strip())
for pw in ["123456", "password", "admin", "root", "qwerty", "letmein", "toor", "changeme"]:
    try:
        f.write(f"root {pw}\n".encode()); f.flush()
        print(f"  root/{pw}: {f.readline().decode().strip()}")
    except OSError as e:
        print(f"  root/{pw}: {e}")
        break
PY
expect "an ssh-bf alert for $ATTACKER" wait_for 5 sh -c "'$phalanx' alerts list --db '$DB' -i $ATTACKER -o raw | grep -q phalanx/ssh-bf"

say "attack 2: HTTP scan from $SCANNER (sensitive files and probing)"
for path in /.env /.git/config /wp-login.php /phpmyadmin/ /backup.sql /config.php.bak /.aws/credentials \
            /admin/ /server-status /.DS_Store /id_rsa /db.sql /old/ /test/ /cgi-bin/test.cgi; do
  code=$(N curl -s -o /dev/null -w '%{http_code}' --max-time 1 --interface "$SCANNER" "http://$TARGET$path")
  [ "$check" = 1 ] || printf '  GET %-20s -> %s\n' "$path" "$code"
done
expect "an HTTP scan alert for $SCANNER" wait_for 5 sh -c "'$phalanx' alerts list --db '$DB' -i $SCANNER -o raw | grep -q phalanx/http"

say "alerts (phalanx alerts list)"
"$phalanx" alerts list --db "$DB" | show
say "decisions (phalanx decisions list)"
"$phalanx" decisions list --db "$DB" | show
expect "a ban on $ATTACKER in the XDP maps" wait_for 5 sh -c "nsenter --net=/run/netns/$HOST '$phalanx' xdp --pin-dir '$PIN' lookup $ATTACKER | grep -q ': drop'"
expect "a ban on $SCANNER in the XDP maps" wait_for 5 sh -c "nsenter --net=/run/netns/$HOST '$phalanx' xdp --pin-dir '$PIN' lookup $SCANNER | grep -q ': drop'"

say "after: the attackers' packets are dropped at the NIC, the benign client's still flow"
for a in "$ATTACKER" "$SCANNER" "$BENIGN"; do
  N ping -c 20 -i 0.05 -W 1 -I "$a" "$TARGET" >"$WORK/ping.$a" 2>&1
  loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$WORK/ping.$a")
  code=$(N curl -s -o /dev/null -w '%{http_code}' --max-time 2 --interface "$a" "http://$TARGET/")
  [ "$check" = 1 ] || printf '  %-14s ping: %3s%% lost   GET / -> %s\n' "$a" "$loss" "$code"
  if [ "$a" = "$BENIGN" ]; then
    expect "$a still reaches the host (ping)" test "$loss" = 0
    expect "$a still reaches the web server" test "$code" = 200
  else
    expect "$a is dropped (ping)" test "$loss" = 100
    expect "$a is dropped (web)" test "$code" = 000
  fi
done

say "XDP counters (phalanx xdp stats): drops rising"
H "$phalanx" xdp --pin-dir "$PIN" stats | show
N ping -c 10 -i 0.05 -W 1 -I "$ATTACKER" "$TARGET" >/dev/null 2>&1
H "$phalanx" xdp --pin-dir "$PIN" stats -o json >"$WORK/stats.json" 2>/dev/null ||
  H "$phalanx" xdp --pin-dir "$PIN" -o json stats >"$WORK/stats.json"
[ "$check" = 1 ] || { echo "  (10 more pings from $ATTACKER)"; H "$phalanx" xdp --pin-dir "$PIN" stats; }
expect "XDP counted dropped packets" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
def find(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if "drop" in k.lower() and isinstance(v, dict) and v.get("packets", 0) > 0: return True
            if "drop" in k.lower() and isinstance(v, int) and v > 0: return True
            if find(v): return True
    if isinstance(o, list): return any(find(x) for x in o)
    return False
sys.exit(0 if find(s) else 1)' "$WORK/stats.json"

say "metrics (phalanxd /metrics, the agent's part)"
H curl -s http://127.0.0.1:8080/metrics | grep -E '^phalanx_(acquisition_lines_total|parser_lines_total|overflows_total)' | show

if [ "$check" = 1 ]; then
  [ "$failures" -eq 0 ] && echo "demo: every step passed" || echo "demo: $failures step(s) failed" >&2
  exit $((failures > 0))
fi
cat <<TXT

== done; the namespaces and files are removed.

Run Phalanx for real on this host:
  sudo cmake --install $build                      # binaries, systemd units, /etc/phalanx
  sudo \$EDITOR /etc/phalanx/acquis.yaml             # the logs to follow (auth.log, nginx, journald)
  sudo phalanxd --check                             # validates everything, prints every problem
  sudo systemctl enable --now phalanxd
  sudo phalanx bouncers add phalanx-xdp             # API key -> /etc/phalanx/phalanx-xdp.yaml
  sudo systemctl enable --now phalanx-xdp           # or phalanx-nft for an nftables firewall
  sudo phalanx alerts list; sudo phalanx decisions list; sudo phalanx xdp stats
TXT
exit $((failures > 0))
