#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# phalanx-xdp beside another XDP program on the same interface, through libxdp's dispatcher:
# xdp-tools' xdp-filter (Debian's package) is loaded first, as an admin would have it, then
# phalanx-xdp attaches to the same veth. Both must run: a source banned through the LAPI is
# dropped by phalanx-xdp, a source denied in xdp-filter is dropped by xdp-filter, a third flows.
# `phalanx-xdp --detach` then removes our program alone, and xdp-filter keeps filtering.
#
#   netns A: a scriptable LAPI (fake_lapi.py) on 127.0.0.1, xdp-filter and phalanx-xdp on vethA
#            (10.210.0.1)
#   netns B: 10.210.0.2 (banned by Phalanx), .3 (never filtered), .4 (denied by xdp-filter)
#
# The run is in a private mount namespace with its own bpffs (libxdp pins its dispatcher there),
# so the host's /sys/fs/bpf is untouched; traffic is ping inside the two namespaces. Exit 77
# (skipped) with the reason when root, the kernel or xdp-tools are missing.
#
# Usage: xdp_coexist_test.sh PHALANX_XDP_BIN PHALANX_CLI_BIN
set -uo pipefail
XDP_BIN=$(realpath "$1")
CLI_BIN=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)

source "$HERE/check_lib.sh"

if [ -z "${PHX_IN_MNTNS:-}" ]; then
  [ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, XDP, bpffs)"
  exec env PHX_IN_MNTNS=1 unshare -m --propagation private "$0" "$@" ||
    skip "cannot create a mount namespace"
fi
mount -t bpf bpf /sys/fs/bpf 2>/dev/null || skip "cannot mount a bpffs (no CAP_SYS_ADMIN?)"
command -v xdp-filter >/dev/null || skip "xdp-filter is missing (Debian package xdp-tools)"
command -v xdp-loader >/dev/null || skip "xdp-loader is missing (Debian package xdp-tools)"

NSA=phx-ca-$$
NSB=phx-cb-$$
IFA=phxca$$
IFB=phxcb$$
WORK=$(mktemp -d /tmp/phx-xdp-coexist.XXXXXX)
PIN=/sys/fs/bpf/phalanx-coexist
DAEMON_PID=
LAPI_PID=

cleanup() {
  [ -n "$DAEMON_PID" ] && kill -9 "$DAEMON_PID" 2>/dev/null
  [ -n "$LAPI_PID" ] && kill "$LAPI_PID" 2>/dev/null
  ip netns del "$NSA" 2>/dev/null
  ip netns del "$NSB" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT



# replies SRC: echo replies B gets back when pinging A from SRC (3 pings, 0.1 s apart).
replies() {
  B ping -n -q -c 3 -i 0.1 -W 1 -I "$1" 10.210.0.1 2>/dev/null |
    sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
flows() { [ "$(replies "$1")" -gt 0 ]; }
blocked() { [ "$(replies "$1")" -eq 0 ]; }

ip netns add "$NSA" || skip "cannot create network namespaces"
ip netns add "$NSB"
ip link add "$IFA" netns "$NSA" type veth peer name "$IFB" netns "$NSB" || skip "no veth support"
A ip link set lo up
B ip link set lo up
A ip addr add 10.210.0.1/24 dev "$IFA"
for a in 10.210.0.2 10.210.0.3 10.210.0.4; do B ip addr add "$a/24" dev "$IFB"; done
A ip link set "$IFA" up
B ip link set "$IFB" up

# nsenter execs python, so $! is the LAPI itself.
nsenter --net="/run/netns/$NSA" python3 "$HERE/fake_lapi.py" "$WORK/lapi.port" \
  >"$WORK/lapi.log" 2>&1 &
LAPI_PID=$!
eventually 5 test -s "$WORK/lapi.port" || skip "the fake LAPI did not start"
PORT=$(cat "$WORK/lapi.port")
ban() {
  A curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d "{\"value\":\"$1\",\"scope\":\"Ip\",\"seconds\":3600}" "http://127.0.0.1:$PORT/control/add"
}

cat >"$WORK/xdp.yaml" <<YAML
api_url: http://127.0.0.1:$PORT/
api_key: test-key
update_frequency: 200ms
retry_initial: 100ms
retry_max: 500ms
interfaces: [$IFA]
pin_dir: $PIN
max_ban_v4: 4096
max_ban_v6: 1024
max_range_v4: 1024
max_range_v6: 1024
log_level: info
YAML

loaded() { A xdp-loader status "$IFA" 2>/dev/null; }
has_prog() { loaded | grep -q "$1"; }
dropped_by_us() {  # packets phalanx-xdp counted as dropped
  A "$CLI_BIN" xdp --pin-dir "$PIN" -o json stats |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["verdicts"]["drop"]["packets"])'
}

# The admin's program first. Native mode, as phalanx-xdp prefers: one dispatcher per interface
# and mode, so both must agree.
A xdp-filter load -m native -f ipv4 "$IFA" >"$WORK/filter.log" 2>&1 ||
  skip "xdp-filter did not load natively on a veth: $(tail -1 "$WORK/filter.log")"
A xdp-filter ip -m src 10.210.0.4 >>"$WORK/filter.log" 2>&1

check "xdp-filter is attached before phalanx-xdp starts" has_prog xdpfilt
check "its deny rule works alone (.4 dropped)" blocked 10.210.0.4
check "and other sources flow (.2)" flows 10.210.0.2

report() {
  if [ "$FAILED" -ne 0 ]; then
    echo "--- xdp-loader status"
    loaded
    echo "--- phalanx-xdp log"
    cat "$WORK/xdp.log"
    echo "--- xdp-filter log"
    cat "$WORK/filter.log"
  fi
  echo "$((N - FAILED)) passed, $FAILED failed"
}

# Where the kernel refuses the freplace programs a dispatcher is made of, libxdp attaches
# xdp-filter alone. Then phalanx-xdp must refuse to take the interface, say why, and leave the
# admin's program alone; coexistence itself cannot be checked here, so the test reports a skip.
if ! has_prog xdp_dispatcher; then
  echo "# libxdp attached xdp-filter without its dispatcher: this kernel refuses it"
  nsenter --net="/run/netns/$NSA" "$XDP_BIN" -c "$WORK/xdp.yaml" >>"$WORK/xdp.log" 2>&1
  rc=$?
  check "phalanx-xdp refuses to replace xdp-filter (exit $rc)" test "$rc" -ne 0
  check "and says why: $(grep -o "attaching to.*" "$WORK/xdp.log" | head -1)" grep -q "is attached there alone" "$WORK/xdp.log"
  check "xdp-filter is still attached" has_prog xdpfilt
  check "and still drops .4" blocked 10.210.0.4
  check ".2 flows: nothing of ours was attached" flows 10.210.0.2
  report
  [ "$FAILED" -eq 0 ] || exit 1
  skip "this kernel refuses libxdp's dispatcher (freplace programs), so two XDP programs cannot share $IFA; the refusal was checked"
fi

nsenter --net="/run/netns/$NSA" "$XDP_BIN" -c "$WORK/xdp.yaml" >>"$WORK/xdp.log" 2>&1 &
DAEMON_PID=$!
attached() { A "$CLI_BIN" xdp --pin-dir "$PIN" status | grep -q "attached: $IFA (native mode"; }
check "phalanx-xdp attaches natively beside it" eventually 10 attached
check "through the dispatcher: both programs are listed on $IFA" \
  bash -c "$(declare -f A loaded); NSA=$NSA IFA=$IFA; loaded | grep -q xdp_blocklist && loaded | grep -q xdpfilt"
check "phalanx-xdp reports the dispatcher" \
  bash -c "$(declare -f A); NSA=$NSA; A '$CLI_BIN' xdp --pin-dir '$PIN' status | grep -qi dispatcher"

ban 10.210.0.2
check "a source banned through the LAPI is dropped" eventually 10 blocked 10.210.0.2
check "xdp-filter still drops its own (.4)" blocked 10.210.0.4
check "a source neither filters flows (.3)" flows 10.210.0.3
before=$(dropped_by_us)
blocked 10.210.0.4
after=$(dropped_by_us)
check "xdp-filter's drops are not phalanx-xdp's (drop counter $before -> $after)" test "$after" -eq "$before"
blocked 10.210.0.2
check "phalanx-xdp counts its own drops ($after -> $(dropped_by_us))" test "$(dropped_by_us)" -gt "$after"

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
A "$XDP_BIN" -c "$WORK/xdp.yaml" --detach >>"$WORK/xdp.log" 2>&1
check "--detach removes phalanx-xdp's program" bash -c "$(declare -f A loaded); NSA=$NSA IFA=$IFA; ! loaded | grep -q xdp_blocklist"
check "and leaves xdp-filter attached" has_prog xdpfilt
check "xdp-filter still drops .4" blocked 10.210.0.4
check "the lifted ban no longer applies (.2 flows)" flows 10.210.0.2

A xdp-filter unload "$IFA" >>"$WORK/filter.log" 2>&1
check "xdp-filter unloads cleanly afterwards" bash -c "! nsenter --net=/run/netns/$NSA ip link show $IFA | grep -q xdp"

report
[ "$FAILED" -eq 0 ]
