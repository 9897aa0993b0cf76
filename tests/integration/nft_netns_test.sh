#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end test of phalanx-nft in two network namespaces joined by a veth pair, fed by a
# scriptable LAPI (fake_lapi.py) so that every case is exact:
#
#   netns A: LAPI on 127.0.0.1, phalanx-nft (table inet phalanx), 10.210.0.1, fd00:210::1, and
#            an admin's own table `inet admin` that must stay untouched
#   netns B: the senders: .2 (banned), .3 (never banned), .4 (short ban), .200 (inside a banned
#            range), fd00:210::2 (banned), fd00:210::3; 10.211.0.2 on a second link (range ban)
#
# Checks: banned IPv4/IPv6 addresses and ranges dropped and counted, others pass; an invalid
# address from the LAPI is logged and skipped while the rest of the answer applies; delete;
# expiry by the element's own timeout (daemon stopped); restart under a flood lets no banned
# packet through; decisions deleted while the daemon was down are lifted by the restart;
# `nft flush ruleset` and a deleted element are repaired at once; the admin's table untouched.
# All tables live inside namespace A. Exit 77 (skipped) without root or nftables.
#
# Usage: nft_netns_test.sh PHALANX_NFT_BIN [PHALANX_CLI_BIN]
set -uo pipefail
NFT_BIN=$(realpath "$1")
CLI_BIN=${2:+$(realpath "$2")}
HERE=$(cd "$(dirname "$0")" && pwd)

source "$HERE/check_lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, nftables)"
command -v nft >/dev/null || skip "the nft command (package nftables) is not installed"

NSA=phx-nft-a-$$
NSB=phx-nft-b-$$
IFA=phna$$
IFB=phnb$$
IFC=phnc$$
IFD=phnd$$
WORK=$(mktemp -d /tmp/phx-nft-e2e.XXXXXX)
DAEMON_PID=
LAPI_PID=

cleanup() {
  [ -n "${KEEP_LOG:-}" ] && cp "$WORK/nft.log" /tmp/phx-nft-e2e.log
  [ -n "$DAEMON_PID" ] && kill -9 "$DAEMON_PID" 2>/dev/null
  [ -n "$LAPI_PID" ] && kill "$LAPI_PID" 2>/dev/null
  ip netns del "$NSA" 2>/dev/null
  ip netns del "$NSB" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT



replies() {  # replies SRC [count]: echo replies B gets when pinging A from SRC
  local src=$1 count=${2:-3} dst=10.210.0.1
  case $src in *:*) dst=fd00:210::1 ;; 10.211.*) dst=10.211.0.1 ;; esac
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
A ip addr add 10.210.0.1/24 dev "$IFA"
A ip addr add fd00:210::1/64 dev "$IFA" nodad
for a in 10.210.0.2 10.210.0.3 10.210.0.4 10.210.0.200; do B ip addr add "$a/24" dev "$IFB"; done
for a in fd00:210::2 fd00:210::3; do B ip addr add "$a/64" dev "$IFB" nodad; done
A ip link set "$IFA" up
B ip link set "$IFB" up
ip link add "$IFC" netns "$NSA" type veth peer name "$IFD" netns "$NSB"
A ip addr add 10.211.0.1/24 dev "$IFC"
B ip addr add 10.211.0.2/24 dev "$IFD"
A ip link set "$IFC" up
B ip link set "$IFD" up
A nft -f - <<'NFT' || skip "nftables refused a basic table"
table inet admin {
  set friends { type ipv4_addr; elements = { 192.0.2.1 } }
  chain input { type filter hook input priority 0; policy accept; ip saddr @friends counter accept; }
}
NFT
A nft list table inet admin >"$WORK/admin-before.txt"

# nsenter execs python, so $! is the LAPI itself (a shell function would put a subshell between).
nsenter --net="/run/netns/$NSA" python3 "$HERE/fake_lapi.py" "$WORK/lapi.port" --state "$WORK/lapi.state" \
  >"$WORK/lapi.log" 2>&1 &
LAPI_PID=$!
eventually 5 test -s "$WORK/lapi.port" || skip "the fake LAPI did not start"
PORT=$(cat "$WORK/lapi.port")
lapi() {  # lapi PATH JSON
  A curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d "$2" \
    "http://127.0.0.1:$PORT$1"
}
ban() {  # ban VALUE [SECONDS] [SCOPE] [ORIGIN]
  lapi /control/add "{\"value\":\"$1\",\"scope\":\"${3:-Ip}\",\"seconds\":${2:-3600},\"origin\":\"${4:-cscli}\"}"
}
unban() { lapi /control/delete "{\"value\":\"$1\"}"; }
METRICS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cat >"$WORK/nft.yaml" <<YAML
api_url: http://127.0.0.1:$PORT/
api_key: test-key
update_frequency: 200ms
retry_initial: 100ms
retry_max: 500ms
push_wait: 0s
expire_interval: 1s
usage_metrics_interval: 1s
log_level: info
prometheus: {enabled: true, listen_addr: 127.0.0.1, listen_port: $METRICS_PORT}
YAML

start_daemon() {
  nsenter --net="/run/netns/$NSA" "$NFT_BIN" -c "$WORK/nft.yaml" >>"$WORK/nft.log" 2>&1 &
  DAEMON_PID=$!
}
stop_daemon() {  # stop_daemon SIGNAL
  kill "-$1" "$DAEMON_PID" 2>/dev/null
  wait "$DAEMON_PID" 2>/dev/null
  DAEMON_PID=
}
table_up() { A nft list chain inet phalanx prerouting >/dev/null 2>&1; }
in_set() { A nft get element inet phalanx "$1" "{ $2 }" >/dev/null 2>&1; }
metrics() { A curl -s "http://127.0.0.1:$METRICS_PORT/metrics"; }
counter_packets() {  # counter_packets NAME
  A nft list counter inet phalanx "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

start_daemon
check "daemon creates table inet phalanx with its chain" eventually 10 table_up
check "the chain hooks prerouting at priority raw (before conntrack)" \
  bash -c "nsenter --net=/run/netns/$NSA nft list chain inet phalanx prerouting | grep -q 'hook prerouting priority raw'"
check "traffic flows before any decision (.2)" flows 10.210.0.2
check "traffic flows before any decision (fd00:210::2)" flows fd00:210::2

# One answer carrying an invalid address among good decisions.
lapi /control/raw '{"id":999,"origin":"cscli","scenario":"bad","scope":"Ip","type":"ban","value":"10.210.0.999","duration":"1h"}'
ban 10.210.0.2
ban fd00:210::2
ban 10.210.0.192/26 3600 Range
ban 10.211.0.0/24 3600 Range CAPI
check "banned IPv4 address is dropped" eventually 10 blocked 10.210.0.2
check "banned IPv6 address is dropped" eventually 10 blocked fd00:210::2
check "address inside a banned range is dropped" eventually 10 blocked 10.210.0.200
check "range ban on the second link is dropped" eventually 10 blocked 10.211.0.2
check "other IPv4 address still flows" flows 10.210.0.3
check "other IPv6 address still flows" flows fd00:210::3
check "the invalid address was logged and skipped" grep -q "skipping a decision: new\[0\] (id 999): value" "$WORK/nft.log"
check "the address is an element of ban4 with a timeout and its origin's counter" \
  bash -c "nsenter --net=/run/netns/$NSA nft list map inet phalanx ban4 | grep -q '10.210.0.2 timeout [^:]*: \"o41\"'"
check "the range is an element of range4" \
  bash -c "nsenter --net=/run/netns/$NSA nft list map inet phalanx range4 | grep -q '10.210.0.192/26'"
check "drops counted by the ban4 counter" test "$(counter_packets ban4)" -ge 3
check "drops counted by the range4 counter" test "$(counter_packets range4)" -ge 3
check "prometheus reports drops by set" bash -c \
  "nsenter --net=/run/netns/$NSA curl -s http://127.0.0.1:$METRICS_PORT/metrics | grep -Eq 'phalanx_nft_dropped_packets_total\{set=\"ban4\",ip_type=\"ipv4\"\} [1-9]'"
by_origin() {  # by_origin ORIGIN IP_TYPE: drops counted under that origin
  metrics | grep -Eq "^phalanx_nft_dropped_by_origin_packets_total\\{origin=\"$1\",ip_type=\"$2\"\\} [1-9]"
}
check "drops counted under cscli (IPv4)" by_origin cscli ipv4
check "drops counted under cscli (IPv6)" by_origin cscli ipv6
check "drops in the range on the second link counted under CAPI" by_origin CAPI ipv4
check "the origin counters carry the origin as their comment" bash -c \
  "nsenter --net=/run/netns/$NSA nft list counters table inet phalanx | grep -A1 'counter o42' | grep -q 'comment \"CAPI\"'"
check "prometheus reports active decisions by origin" bash -c \
  "nsenter --net=/run/netns/$NSA curl -s http://127.0.0.1:$METRICS_PORT/metrics | grep -q 'phalanx_nft_active_decisions{origin=\"cscli\",ip_type=\"ipv4\"} 2'"
usage_has_drops() {
  A curl -s "http://127.0.0.1:$PORT/control/usage" | python3 -c '
import json, sys
bodies = json.load(sys.stdin)
items = [i for b in bodies for c in b["remediation_components"] if c["type"] == "phalanx-nft"
         for m in c["metrics"] for i in m["items"]]
sys.exit(0 if any(i["name"] == "dropped" and i["unit"] == "packet" and i["value"] > 0
                  and i["labels"].get("origin") == "CAPI" for i in items) else 1)'
}
check "usage metrics were POSTed with dropped packets by origin" eventually 10 usage_has_drops
check "audit finds the kernel and the mirror in agreement" bash -c \
  "nsenter --net=/run/netns/$NSA curl -s http://127.0.0.1:$METRICS_PORT/audit | grep -q '\"extra\":0,.*\"missing\":0'"
if [ -n "$CLI_BIN" ]; then
  cli() { A "$CLI_BIN" nft "$@"; }
  check "phalanx nft lookup explains a drop" bash -c "$(declare -f A cli); NSA=$NSA CLI_BIN=$CLI_BIN; cli lookup 10.210.0.200 | grep -q 'drop (inside a banned range)'"
  check "phalanx nft lookup names the origin of a banned address" bash -c "$(declare -f A cli); NSA=$NSA CLI_BIN=$CLI_BIN; cli lookup 10.210.0.2 | grep -q 'drop (banned address), counted under origin cscli'"
  check "phalanx nft lookup explains a pass" bash -c "$(declare -f A cli); NSA=$NSA CLI_BIN=$CLI_BIN; cli lookup 10.210.0.3 | grep -q 'pass (not listed)'"
  check "phalanx nft status shows every set" bash -c "$(declare -f A cli); NSA=$NSA CLI_BIN=$CLI_BIN; cli status | grep -q 'sets: allow4 ban4 range4 allow6 ban6 range6$'"
  check "phalanx nft stats counts the drops" bash -c "$(declare -f A cli); NSA=$NSA CLI_BIN=$CLI_BIN; cli -o json stats | grep -A1 '\"ban4\"' | grep -Eq '\"packets\": [1-9]'"
  check "phalanx nft audit: no drift" cli audit --url "http://127.0.0.1:$METRICS_PORT"
  A nft add element inet phalanx ban4 '{ 10.210.0.77 timeout 1h : "ban4" }'
  check "phalanx nft audit reports an element the mirror does not hold" \
    bash -c "$(declare -f A cli); NSA=$NSA CLI_BIN=$CLI_BIN; cli audit --url http://127.0.0.1:$METRICS_PORT | grep -q 'extra 10.210.0.77'"
  check "the drift is exported as a metric" bash -c \
    "nsenter --net=/run/netns/$NSA curl -s http://127.0.0.1:$METRICS_PORT/metrics | grep -q 'phalanx_nft_drift_elements{kind=\"extra\"} 1'"
  A nft delete element inet phalanx ban4 '{ 10.210.0.77 }'
fi

# LAPI outage: the sets stay, the client retries.
kill "$LAPI_PID"
wait "$LAPI_PID" 2>/dev/null
sleep 1
check "with the LAPI down, bans stay in force" blocked 10.210.0.2
check "and the outage is logged once, with retries" grep -q "keeping the current state, retrying" "$WORK/nft.log"
rm -f "$WORK/lapi.port.new"
nsenter --net="/run/netns/$NSA" python3 "$HERE/fake_lapi.py" "$WORK/lapi.port.new" --port "$PORT" \
  --state "$WORK/lapi.state" >>"$WORK/lapi.log" 2>&1 &
LAPI_PID=$!
eventually 5 test -s "$WORK/lapi.port.new"
# The restarted LAPI serves the decisions it kept (a real LAPI has them in its database). Its
# startup answer is the client's full resync: had it come back empty, the resync would lift
# every ban.
check "LAPI back: the client resyncs" eventually 10 grep -q "LAPI reachable again" "$WORK/nft.log"
check "and the bans are still in force" blocked 10.210.0.2

unban 10.210.0.2
check "ban lifted when the decision is deleted" eventually 10 flows 10.210.0.2
check "the IPv6 ban is still in force" blocked fd00:210::2

# Someone deletes one of our elements by hand: it is put back at once.
A nft delete element inet phalanx ban6 '{ fd00:210::2 }'
check "an element deleted by hand is restored" eventually 3 in_set ban6 fd00:210::2
check "and enforced again" blocked fd00:210::2

# Restart under a flood: not one banned packet may get through.
ban 10.210.0.2
check "re-banned address is dropped again" eventually 10 blocked 10.210.0.2
before=$(counter_packets ban4)
B ping -n -q -c 400 -i 0.01 -W 1 -I 10.210.0.2 10.210.0.1 >"$WORK/flood.txt" 2>&1 &
FLOOD=$!
B ping -n -q -c 40 -i 0.1 -W 1 -I 10.210.0.3 10.210.0.1 >"$WORK/good.txt" 2>&1 &
GOOD=$!
sleep 0.5
stop_daemon TERM
check "a plain stop keeps the table" table_up
sleep 0.5
stop_daemon KILL
start_daemon
sleep 0.5
stop_daemon KILL
start_daemon
wait "$FLOOD" "$GOOD"
received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WORK/flood.txt")
check "no banned packet got through across stop, kill -9 and restarts (received: $received of 400)" \
  test "$received" -eq 0
check "all 400 flood packets were dropped and counted ($(($(counter_packets ban4) - before)))" \
  test $(($(counter_packets ban4) - before)) -ge 400
good=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WORK/good.txt")
check "unbanned traffic flowed meanwhile ($good/40)" test "$good" -ge 36
check "restarts keep exactly one copy of the rules" \
  test "$(A nft list chain inet phalanx prerouting | grep -c 'saddr map @ban4')" -eq 1

# Expiry is the kernel's: stop the daemon and watch a short ban end.
eventually 10 bash -c "grep -c 'resync:' $WORK/nft.log | grep -qv '^[01]$'"
ban 10.210.0.4 4
check "short ban is in force" eventually 5 blocked 10.210.0.4
stop_daemon TERM
check "ban lifted by the element's own timeout, daemon stopped" eventually 10 flows 10.210.0.4
check "bans stay in force with the daemon stopped" blocked 10.210.0.2

# Deleted while the daemon was down: the restart's resync lifts it, keeps the rest.
unban 10.210.0.192/26
resyncs=$(grep -c "resync:" "$WORK/nft.log")
start_daemon
resynced() { [ "$(grep -c "resync:" "$WORK/nft.log")" -gt "$resyncs" ]; }
check "restart resyncs from the LAPI" eventually 10 resynced
check "a decision deleted during the downtime is lifted" flows 10.210.0.200
check "the others survive the restart" blocked 10.210.0.2
check "the admin's table is untouched" bash -c \
  "nsenter --net=/run/netns/$NSA nft list table inet admin | diff -q - $WORK/admin-before.txt >/dev/null"

# The whole ruleset flushed by hand: repaired at once.
A nft flush ruleset
check "nft flush ruleset: table repaired" eventually 3 table_up
check "nft flush ruleset: bans enforced again (IPv4)" eventually 3 blocked 10.210.0.2
check "nft flush ruleset: bans enforced again (IPv6)" blocked fd00:210::2
check "nft flush ruleset: range enforced again" blocked 10.211.0.2
check "the repair was logged" grep -q "repaired in" "$WORK/nft.log"
check "prometheus counts the repair" bash -c \
  "nsenter --net=/run/netns/$NSA curl -s http://127.0.0.1:$METRICS_PORT/metrics | grep -Eq '^phalanx_nft_repairs_total [1-9]'"
stop_daemon TERM
check "a plain stop leaves the table" table_up

# flush_on_stop: the stop removes our table, and only ours.
sed 's/^log_level: info$/log_level: info\nflush_on_stop: true/' "$WORK/nft.yaml" >"$WORK/nft-flush.yaml"
mv "$WORK/nft-flush.yaml" "$WORK/nft.yaml"
A nft add table inet admin
starts=$(grep -c "following http" "$WORK/nft.log")
started() { [ "$(grep -c "following http" "$WORK/nft.log")" -gt "$starts" ]; }
start_daemon
check "restarted with flush_on_stop" eventually 10 started
stop_daemon TERM
check "flush_on_stop: the stop removes table inet phalanx" bash -c "! nsenter --net=/run/netns/$NSA nft list table inet phalanx >/dev/null 2>&1"
check "flush_on_stop: the admin's table stays" bash -c "nsenter --net=/run/netns/$NSA nft list table inet admin >/dev/null 2>&1"

if [ "$FAILED" -ne 0 ]; then
  echo "--- phalanx-nft log"
  cat "$WORK/nft.log"
  A nft list ruleset
fi
echo "$((N - FAILED)) passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
