#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Log line appended -> first packet from that source dropped, end to end, live.
# Namespace A runs phalanxd (agent following $WORK/auth.log + LAPI on SQLite) and a bouncer on
# its veth (BOUNCER=xdp: phalanx-xdp; BOUNCER=nft: phalanx-nft), both on the push stream.
# Namespace B holds TRIALS attacker addresses. For each trial, the attacker pings A every 2 ms
# and 6 sshd "Failed password" lines for it are appended to the log (phalanx/ssh-bf overflows
# on the 6th); t0 is taken just before the 6th line is written, the drop time is the send time
# of the first unanswered echo (last reply + 2 ms).
#   TRIALS (default 30), BOUNCER (xdp or nft), BUILD_DIR (build)
# Needs root. Traffic stays inside the two namespaces it creates.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD_DIR:-build}
trials=${TRIALS:-30}
bouncer=${BOUNCER:-xdp}
if [ -z "${PHX_IN_MNTNS:-}" ]; then
  targets="phalanx phalanxd"
  [ "$bouncer" = xdp ] && targets="$targets phalanx-xdp" || targets="$targets phalanx-nft"
  cmake --build "$build" -j"${JOBS:-2}" --target $targets >/dev/null || exit 1
  exec env PHX_IN_MNTNS=1 unshare -m --propagation private "$0" "$@"
fi
mount -t bpf bpf /sys/fs/bpf
NSA=phx-l2d-a-$$ NSB=phx-l2d-b-$$ IFA=phxl2a$$ IFB=phxl2b$$
WORK=$(mktemp -d /tmp/phx-log2drop.XXXXXX)
PIN=/sys/fs/bpf/phalanx-l2d
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  ip netns del "$NSA" 2>/dev/null
  ip netns del "$NSB" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
A() { nsenter --net="/run/netns/$NSA" "$@"; }
B() { nsenter --net="/run/netns/$NSB" "$@"; }
# A daemon in A, in the background: nsenter execs it, so $! is the daemon itself and the cleanup
# stops it (a backgrounded function call would leave $! on a subshell and the daemon running).
spawn_a() {
  local out=$1
  shift
  nsenter --net="/run/netns/$NSA" "$@" >"$out" 2>&1 &
  pids+=($!)
}
ip netns add "$NSA" && ip netns add "$NSB"
ip link add "$IFA" netns "$NSA" type veth peer name "$IFB" netns "$NSB"
A ip link set lo up && B ip link set lo up
A ip addr add 203.0.113.1/16 dev "$IFA"
for i in $(seq 1 "$trials"); do B ip addr add "203.0.$((114 + i / 250)).$((i % 250 + 1))/16" dev "$IFB"; done
A ip link set "$IFA" up && B ip link set "$IFB" up

DB="sqlite://$WORK/phalanx.db"
touch "$WORK/auth.log"
printf 'filenames: [%s]\nlabels: {type: syslog}\n' "$WORK/auth.log" >"$WORK/acquis.yaml"
printf 'db: %s\ndata_dir: %s\nlog_level: warn\nagent: {acquis: %s, acquis_dir: %s}\nlapi: {listen: 127.0.0.1:8080}\n' \
  "$DB" "$WORK/state" "$WORK/acquis.yaml" "$WORK/none" >"$WORK/config.yaml"
KEY=$("$root/$build/userspace/cli/phalanx" bouncers add bench-bouncer --db "$DB" -o raw)
spawn_a "$WORK/phalanxd.log" "$root/$build/userspace/daemon/phalanxd" -c "$WORK/config.yaml"
for _ in $(seq 1 100); do A curl -s -o /dev/null http://127.0.0.1:8080/health && break; sleep 0.1; done
if [ "$bouncer" = xdp ]; then
  printf 'api_url: http://127.0.0.1:8080/\napi_key: %s\ninterfaces: [%s]\npin_dir: %s\nlog_level: warn\n' \
    "$KEY" "$IFA" "$PIN" >"$WORK/bouncer.yaml"
  spawn_a "$WORK/bouncer.log" "$root/$build/bouncer-xdp/phalanx-xdp" -c "$WORK/bouncer.yaml"
else
  printf 'api_url: http://127.0.0.1:8080/\napi_key: %s\nlog_level: warn\n' "$KEY" >"$WORK/bouncer.yaml"
  spawn_a "$WORK/bouncer.log" "$root/$build/bouncer-nft/phalanx-nft" -c "$WORK/bouncer.yaml"
fi
sleep 2

lat=()
missed=0
for i in $(seq 1 "$trials"); do
  src=203.0.$((114 + i / 250)).$((i % 250 + 1))
  B ping -D -n -i 0.002 -W 0.5 -w 3 -I "$src" 203.0.113.1 >"$WORK/ping.$i" 2>&1 &
  pinger=$!
  sleep 0.$((RANDOM % 4 + 3))
  t0=$(python3 - "$WORK/auth.log" "$src" <<'PY'
import os, sys, time
path, src = sys.argv[1], sys.argv[2]
fd = os.open(path, os.O_WRONLY | os.O_APPEND)
def line(n):
    stamp = time.strftime("%b %e %H:%M:%S")
    return f"{stamp} bench sshd[{1000 + n}]: Failed password for root from {src} port {40000 + n} ssh2\n".encode()
for n in range(5):
    os.write(fd, line(n))
time.sleep(0.05)
t0 = time.time()
os.write(fd, line(5))
print(f"{t0:.6f}")
PY
)
  wait "$pinger"
  last=$(python3 - "$WORK/ping.$i" "$t0" <<'PY'
import re, sys
t0 = float(sys.argv[2])
stamps = [float(m.group(1)) for m in re.finditer(r"^\[([0-9.]+)\] .*bytes from", open(sys.argv[1]).read(), re.M)]
after = [s for s in stamps if s >= t0 - 0.002]
# Replies continue after t0 until the ban lands; none at all after t0 + 2.5 s means a miss.
print(max(stamps) if stamps and max(stamps) < t0 + 2.5 else "")
PY
)
  if [ -z "$last" ]; then
    printf 'trial %2d: no drop within 2.5 s\n' "$i"
    missed=$((missed + 1))
    continue
  fi
  ms=$(python3 -c "print(round(max(0.0, ($last + 0.002 - $t0) * 1000), 1))")
  lat+=("$ms")
  printf 'trial %2d: %7.1f ms\n' "$i" "$ms"
done
printf '%s\n' "${lat[@]}" | python3 -c '
import sys, statistics
v = sorted(float(x) for x in sys.stdin if x.strip())
def pct(p): return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
print(f"log-to-drop ({sys.argv[2]}): n={len(v)} (missed: {sys.argv[1]}) p50={pct(50):.1f} ms p90={pct(90):.1f} ms p99={pct(99):.1f} ms max={v[-1]:.1f} ms mean={statistics.mean(v):.1f} ms")' "$missed" "$bouncer"
