#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end test of phalanx-xdp against a real CrowdSec 1.4.6 LAPI (Debian's package, unpacked
# privately by crowdsec_lapi.sh), in two network namespaces joined by a veth pair:
#
#   netns A: LAPI on 127.0.0.1, phalanx-xdp attached to vethA (10.200.0.1, fd00:200::1)
#   netns B: the senders: 10.200.0.2 (gets banned), .3 (never banned), .4 (short ban), .200
#            (inside a banned range), fd00:200::2 (banned), fd00:200::3
#
# Decisions are added with the package's cscli; traffic is ping from B to A. Checks: banned
# sources dropped and counted by origin, others flow; IPv6 and ranges; lift on delete; lift on
# expiry with the daemon stopped; kill -9 and restart under a 100 pkt/s flood lets no banned
# packet through; an upgrade (a program of another build attached, its prefilter pinned under
# an earlier name) is replaced under a 500 pkt/s flood without letting one through; --detach
# leaves nothing behind. The whole run is in a private mount namespace
# with its own bpffs, so the host's /sys/fs/bpf is untouched. Traffic stays inside the two
# namespaces. Exit 77 (skipped) with the reason when the kernel or the package is unavailable.
#
# Usage: xdp_netns_test.sh PHALANX_XDP_BIN PHALANX_CLI_BIN XDP_STAND_IN_BIN
set -uo pipefail
XDP_BIN=$(realpath "$1")
CLI_BIN=$(realpath "$2")
STAND_IN=$(realpath "$3")
HERE=$(cd "$(dirname "$0")" && pwd)

source "$HERE/check_lib.sh"

if [ -z "${PHX_IN_MNTNS:-}" ]; then
  [ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, XDP, bpffs)"
  exec env PHX_IN_MNTNS=1 unshare -m --propagation private "$0" "$@" ||
    skip "cannot create a mount namespace"
fi
mount -t bpf bpf /sys/fs/bpf 2>/dev/null || skip "cannot mount a bpffs (no CAP_SYS_ADMIN?)"

source "$HERE/crowdsec_lapi.sh"
cs_unpack || skip "could not fetch and unpack Debian's crowdsec package (apt-get download)"

NSA=phx-xa-$$
NSB=phx-xb-$$
IFA=phxa$$
IFB=phxb$$
IFC=phxc$$
IFD=phxd$$
WORK=$(mktemp -d /tmp/phx-xdp-e2e.XXXXXX)
PIN=/sys/fs/bpf/phalanx-e2e
DAEMON_PID=

cleanup() {
  [ -n "$DAEMON_PID" ] && kill -9 "$DAEMON_PID" 2>/dev/null
  cs_stop
  ip netns del "$NSA" 2>/dev/null
  ip netns del "$NSB" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT



# replies SRC [count]: echo replies B gets back when pinging A from SRC (0.1 s apart, 1 s wait).
replies() {
  local src=$1 count=${2:-3} dst=10.200.0.1
  case $src in *:*) dst=fd00:200::1 ;; 10.201.*) dst=10.201.0.1 ;; esac
  B ping -n -q -c "$count" -i 0.1 -W 1 -I "$src" "$dst" 2>/dev/null |
    sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
flows() { [ "$(replies "$1")" -gt 0 ]; }
blocked() { [ "$(replies "$1")" -eq 0 ]; }

ip netns add "$NSA" || skip "cannot create network namespaces"
ip netns add "$NSB"
ip link add "$IFA" netns "$NSA" type veth peer name "$IFB" netns "$NSB" || skip "no veth support"
A ip link set lo up
B ip link set lo up
A ip addr add 10.200.0.1/24 dev "$IFA"
A ip addr add fd00:200::1/64 dev "$IFA" nodad
for a in 10.200.0.2 10.200.0.3 10.200.0.4 10.200.0.200; do B ip addr add "$a/24" dev "$IFB"; done
for a in fd00:200::2 fd00:200::3; do B ip addr add "$a/64" dev "$IFB" nodad; done
A ip link set "$IFA" up
B ip link set "$IFB" up
# A second link, to check that one daemon guards several interfaces.
ip link add "$IFC" netns "$NSA" type veth peer name "$IFD" netns "$NSB"
A ip addr add 10.201.0.1/24 dev "$IFC"
B ip addr add 10.201.0.2/24 dev "$IFD"
A ip link set "$IFC" up
B ip link set "$IFD" up

CS_WRAP="nsenter --net=/run/netns/$NSA"
cs_start "$WORK/cs" || skip "the crowdsec LAPI did not start"
KEY=$(cs_cscli bouncers add phalanx-xdp-e2e -o raw 2>/dev/null | tr -d '\n')
[ -n "$KEY" ] || skip "cscli bouncers add failed"
METRICS_PORT=$(cs_free_port)

cat >"$WORK/xdp.yaml" <<YAML
api_url: http://127.0.0.1:$CS_PORT/
api_key: \${PHX_E2E_KEY}
update_frequency: 200ms
# CrowdSec's stream can leave out for good a decision whose transaction commits after a
# concurrent pull (userspace/bouncer/README.md); the periodic full resync heals that, so it runs
# often enough here to fit the checks' 10 s windows.
resync_interval: 2s
retry_initial: 100ms
retry_max: 500ms
interfaces: [$IFA, $IFC]
pin_dir: $PIN
max_ban_v4: 65536
max_ban_v6: 4096
max_range_v4: 1024
max_range_v6: 1024
sweep_interval: 1s
usage_metrics_interval: 1s
log_level: info
prometheus: {enabled: true, listen_addr: 127.0.0.1, listen_port: $METRICS_PORT}
YAML

# nsenter is started directly (not through the A function, which would put a subshell between
# $! and the daemon) and execs phalanx-xdp, so $! is the daemon itself.
start_daemon() {
  PHX_E2E_KEY="$KEY" nsenter --net="/run/netns/$NSA" "$XDP_BIN" -c "$WORK/xdp.yaml" \
    >>"$WORK/xdp.log" 2>&1 &
  DAEMON_PID=$!
}
no_daemon() { ! pgrep -f "$XDP_BIN -c $WORK/xdp.yaml" >/dev/null; }
stop_daemon() {  # stop_daemon SIGNAL
  kill "-$1" "$DAEMON_PID" 2>/dev/null
  wait "$DAEMON_PID" 2>/dev/null
  DAEMON_PID=
}
xdp() { A "$CLI_BIN" xdp --pin-dir "$PIN" "$@"; }
attached() { xdp status | grep -q "attached: $IFA (native mode"; }
attached_c() { xdp status | grep -q "attached: $IFC (native mode"; }

echo "# LAPI: $(cs_cscli version 2>&1 | grep -m1 -io 'v[0-9][0-9.]*[^ ]*') on 127.0.0.1:$CS_PORT in $NSA"
start_daemon
check "daemon attaches natively to $IFA and pins its maps" eventually 10 attached
check "and to the second interface $IFC" attached_c
check "traffic flows before any decision (.2)" flows 10.200.0.2
check "traffic flows before any decision (fd00:200::2)" flows fd00:200::2

cs_cscli decisions add --ip 10.200.0.2 --duration 1h >/dev/null 2>&1
cs_cscli decisions add --ip fd00:200::2 --duration 1h >/dev/null 2>&1
cs_cscli decisions add --range 10.200.0.192/26 --duration 1h >/dev/null 2>&1
cs_cscli decisions add --ip 10.201.0.2 --duration 1h >/dev/null 2>&1
check "banned IPv4 source is dropped" eventually 10 blocked 10.200.0.2
check "banned IPv6 source is dropped" eventually 10 blocked fd00:200::2
check "source inside a banned range is dropped" eventually 10 blocked 10.200.0.200
check "banned source on the second interface is dropped" eventually 10 blocked 10.201.0.2
check "other IPv4 source still flows" flows 10.200.0.3
check "other IPv6 source still flows" flows fd00:200::3
check "drops are counted under origin cscli" \
  bash -c "$(declare -f A); NSA=$NSA; A '$CLI_BIN' xdp --pin-dir '$PIN' -o json stats |
    python3 -c 'import json,sys; d=json.load(sys.stdin)[\"dropped\"];
sys.exit(0 if any(x[\"origin\"]==\"cscli\" and x[\"ip_type\"]==\"ipv4\" and x[\"packets\"]>=3 for x in d) else 1)'"
check "lookup explains the drop" bash -c "$(declare -f A); NSA=$NSA; A '$CLI_BIN' xdp --pin-dir '$PIN' lookup 10.200.0.2 | grep -q 'drop (banned 10.200.0.2/32)'"
check "prometheus endpoint reports the drops" bash -c \
  "nsenter --net=/run/netns/$NSA curl -s http://127.0.0.1:$METRICS_PORT/metrics | grep -q 'phalanx_xdp_dropped_packets_total{origin=\"cscli\",ip_type=\"ipv4\"}'"
check "usage metrics were POSTed (CrowdSec 1.4.6 answers 404: warned once)" \
  eventually 10 grep -q "has no /v1/usage-metrics" "$WORK/xdp.log"
check "the LAPI saw User-Agent phalanx-xdp/<version>" grep -q 'phalanx-xdp/[0-9][0-9.]*[^0-9.-]' "$WORK/cs/lapi.log"

cs_cscli decisions delete --ip 10.200.0.2 >/dev/null 2>&1
check "ban lifted when the decision is deleted" eventually 10 flows 10.200.0.2
check "the IPv6 ban is still in force" blocked fd00:200::2

# Kill -9 and restart under a flood: not one banned packet may get through.
cs_cscli decisions add --ip 10.200.0.2 --duration 1h >/dev/null 2>&1
check "re-banned source is dropped again" eventually 10 blocked 10.200.0.2
before=$(xdp -o json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["verdicts"]["drop"]["packets"])')
B ping -n -q -c 500 -i 0.01 -W 1 -I 10.200.0.2 10.200.0.1 >"$WORK/flood.txt" 2>&1 &
FLOOD=$!
B ping -n -q -c 50 -i 0.1 -W 1 -I 10.200.0.3 10.200.0.1 >"$WORK/good.txt" 2>&1 &
GOOD=$!
sleep 1
stop_daemon KILL
check "the daemon is gone after kill -9" no_daemon
check "program still attached with the daemon killed" attached
sleep 1
start_daemon
wait "$FLOOD" "$GOOD"
after=$(xdp -o json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["verdicts"]["drop"]["packets"])')
received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WORK/flood.txt")
check "no banned packet got through across kill -9 and restart (received: $received of 500)" \
  test "$received" -eq 0
check "all 500 flood packets were dropped and counted ($((after - before)))" \
  test $((after - before)) -ge 500
check "unbanned traffic flowed meanwhile ($(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WORK/good.txt")/50)" \
  test "$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WORK/good.txt")" -ge 45
check "restarted daemon kept the program (no second attach)" eventually 10 grep -q "already attached, kept" "$WORK/xdp.log"

# Expiry is enforced by the program itself: stop the daemon and watch a short ban end.
cs_cscli decisions add --ip 10.200.0.4 --duration 6s >/dev/null 2>&1
check "short ban is in force" eventually 5 blocked 10.200.0.4
stop_daemon TERM
check "the daemon exits on SIGTERM" no_daemon
check "a plain stop keeps enforcing" blocked 10.200.0.2
check "a plain stop leaves the program attached" attached
check "ban lifted on expiry with the daemon stopped" eventually 12 flows 10.200.0.4

resyncs_before=$(grep -c "resync:" "$WORK/xdp.log")
start_daemon
resynced() { [ "$(grep -c "resync:" "$WORK/xdp.log")" -gt "$resyncs_before" ]; }
check "restart resyncs from the LAPI" eventually 10 resynced
check "bans survive the restart" blocked 10.200.0.2

# An upgrade: the stand-in of an earlier build (another tag; its bitmaps pinned under the names
# an earlier build used) holds $IFA. The daemon of this build starts under a flood: it builds
# new bitmaps from the pinned bans, swaps its program in, and removes the retired pins.
stop_daemon TERM
A "$STAND_IN" "$PIN" "$IFA" >>"$WORK/xdp.log" 2>&1
check "the stand-in of an earlier build holds $IFA" test -e "$PIN/phx_pfilter_v4"
check "the stand-in enforces the pinned bans" blocked 10.200.0.2
B ping -n -q -c 1000 -i 0.002 -W 1 -I 10.200.0.2 10.200.0.1 >"$WORK/flood2.txt" 2>&1 &
FLOOD=$!
sleep 0.5
start_daemon
check "the daemon replaces the program of another build" \
  eventually 10 grep -q "$IFA: replaced prog id [0-9]* of another build" "$WORK/xdp.log"
wait "$FLOOD"
received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WORK/flood2.txt")
check "no banned packet got through the upgrade (received: $received of 1000)" \
  test "$received" -eq 0
check "the program of this build is kept on $IFC" \
  grep -q "$IFC: already attached, kept" <(tail -n 20 "$WORK/xdp.log")
check "the retired pins are removed" test ! -e "$PIN/phx_pfilter_v4" -a ! -e "$PIN/phx_pfilter_v6"
check "bans in force after the upgrade" blocked 10.200.0.2
check "other traffic flows after the upgrade" flows 10.200.0.3
stop_daemon TERM
A env PHX_E2E_KEY="$KEY" "$XDP_BIN" -c "$WORK/xdp.yaml" --detach >>"$WORK/xdp.log" 2>&1
check "--detach removes the program" bash -c "! nsenter --net=/run/netns/$NSA ip link show $IFA | grep -q xdp"
check "--detach removes it from the second interface" bash -c "! nsenter --net=/run/netns/$NSA ip link show $IFC | grep -q xdp"
check "--detach removes the pins" test ! -e "$PIN"
check "traffic flows after --detach" flows 10.200.0.2

if [ "$FAILED" -ne 0 ]; then
  echo "--- phalanx-xdp log"
  cat "$WORK/xdp.log"
  echo "--- LAPI log (tail)"
  tail -20 "$WORK/cs/lapi.log"
fi
echo "$((N - FAILED)) passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
