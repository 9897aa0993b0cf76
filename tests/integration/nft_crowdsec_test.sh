#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# phalanx-nft against a real LAPI in a network namespace of its own: Debian's crowdsec 1.4.6
# (unpacked privately by crowdsec_lapi.sh), or phalanxd. Decisions added with the LAPI's CLI
# (address, IPv6 address, range) appear in phalanx-nft's sets with their timeouts, a deleted one
# leaves them, and the LAPI knows our User-Agent. With phalanxd the bouncer follows it over its
# Unix socket (lapi.listen_socket; api_url is the socket's path). Traffic: none (see nft_netns_test.sh for
# drops); the sets are read with nft inside the namespace.
# Exit 77 (skipped) with the reason when root or the package is unavailable.
#
# Usage: nft_crowdsec_test.sh PHALANX_NFT_BIN                   (crowdsec 1.4.6)
#        nft_crowdsec_test.sh PHALANX_NFT_BIN PHALANXD PHALANX  (phalanxd)
set -uo pipefail
NFT_BIN=$(realpath "$1")
PHALANXD=${2:-}
PHALANX=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)

source "$HERE/check_lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, nftables)"
command -v nft >/dev/null || skip "the nft command (package nftables) is not installed"
source "$HERE/crowdsec_lapi.sh"
if [ -z "$PHALANXD" ]; then
  cs_unpack || skip "could not fetch and unpack Debian's crowdsec package (apt-get download)"
fi

NS=phx-nft-cs-$$
WORK=$(mktemp -d /tmp/phx-nft-cs.XXXXXX)
DAEMON_PID=
LAPI_PID=
cleanup() {
  [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
  [ -n "$LAPI_PID" ] && kill "$LAPI_PID" 2>/dev/null && wait "$LAPI_PID" 2>/dev/null
  cs_stop
  ip netns del "$NS" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$NS" || skip "cannot create a network namespace"
ip netns exec "$NS" ip link set lo up
if [ -n "$PHALANXD" ]; then
  # phalanxd in the namespace; its CLI works on the same SQLite file.
  CS_PORT=$(cs_free_port)
  DB="sqlite://$WORK/phalanx.db"
  # The bouncer follows phalanxd over its Unix socket; curl checks /metrics over TCP.
  API_URL="$WORK/lapi.sock"
  printf 'lapi:\n  listen: 127.0.0.1:%s\n  listen_socket: %s\ndb: %s\n' "$CS_PORT" "$API_URL" "$DB" \
    >"$WORK/phalanxd.yaml"
  nsenter --net="/run/netns/$NS" "$PHALANXD" -c "$WORK/phalanxd.yaml" >"$WORK/lapi.log" 2>&1 &
  LAPI_PID=$!
  for _ in $(seq 1 100); do
    nsenter --net="/run/netns/$NS" curl -s -o /dev/null "http://127.0.0.1:$CS_PORT/health" && break
    sleep 0.1
  done
  KEY=$("$PHALANX" bouncers add phalanx-nft-e2e --db "$DB" -o raw | tr -d '\n')
  [ -n "$KEY" ] || { echo "FAIL: phalanx bouncers add"; exit 1; }
  lapi_cli() { "$PHALANX" --log-level error "$@" --db "$DB"; }
  lapi_name() { echo "phalanxd"; }
else
  CS_WRAP="nsenter --net=/run/netns/$NS"
  cs_start "$WORK/cs" || skip "the crowdsec LAPI did not start"
  API_URL="http://127.0.0.1:$CS_PORT/"
  KEY=$(cs_cscli bouncers add phalanx-nft-e2e -o raw 2>/dev/null | tr -d '\n')
  [ -n "$KEY" ] || skip "cscli bouncers add failed"
  lapi_cli() { cs_cscli "$@"; }
  lapi_name() { cs_cscli version 2>&1 | grep -m1 -io 'v[0-9][0-9.]*[^ ]*'; }
fi
cat >"$WORK/nft.yaml" <<YAML
api_url: $API_URL
api_key: \${PHX_NFT_KEY}
update_frequency: 200ms
# CrowdSec's stream can leave out for good a decision whose transaction commits after a
# concurrent pull (userspace/bouncer/README.md); the periodic full resync heals that, so it runs
# often enough here to fit the checks' 10 s windows.
resync_interval: 2s
retry_initial: 100ms
retry_max: 500ms
usage_metrics_interval: 1s
YAML
PHX_NFT_KEY="$KEY" nsenter --net="/run/netns/$NS" "$NFT_BIN" -c "$WORK/nft.yaml" >"$WORK/nft.log" 2>&1 &
DAEMON_PID=$!
# The listing is read whole before grep: `grep -q` quitting early would SIGPIPE nft, and with
# pipefail a found element would read as missing.
set_has() {
  local out
  out=$(nsenter --net="/run/netns/$NS" nft list map inet phalanx "$1" 2>/dev/null)
  grep -Eq "$2" <<<"$out"
}
set_lacks() { ! set_has "$@"; }

echo "# LAPI: $(lapi_name) on 127.0.0.1:$CS_PORT in $NS, bouncer api_url $API_URL"
check "phalanx-nft creates its table" eventually 10 bash -c "nsenter --net=/run/netns/$NS nft list table inet phalanx >/dev/null 2>&1"
lapi_cli decisions add --ip 192.0.2.10 --duration 2h >/dev/null 2>&1
lapi_cli decisions add --ip 2001:db8::10 --duration 2h >/dev/null 2>&1
lapi_cli decisions add --range 198.51.100.0/24 --duration 3h >/dev/null 2>&1
lapi_cli decisions add --range 198.51.100.128/25 --duration 5h >/dev/null 2>&1
# Timeouts: the LAPI sends the time left rounded to the second, so a decision pulled within half
# a second of its creation carries its whole duration (2h), a later pull a little less.
check "an IPv4 decision appears in ban4" eventually 10 set_has ban4 "192.0.2.10 timeout (1h59m|2h )"
check "an IPv6 decision appears in ban6" eventually 10 set_has ban6 "2001:db8::10 timeout (1h59m|2h )"
check "a range appears in range4, split where a longer range overlaps it" \
  eventually 10 set_has range4 "198.51.100.0/25 timeout (2h59m|3h )"
check "the overlapping longer range keeps its own timeout" set_has range4 "198.51.100.128/25 timeout (4h59m|5h )"
lapi_cli decisions delete --ip 192.0.2.10 >/dev/null 2>&1
check "a deleted decision leaves the set" eventually 10 set_lacks ban4 "192.0.2.10"
check "the others stay" set_has ban6 "2001:db8::10"
if [ -n "$PHALANXD" ]; then
  check "the LAPI recorded User-Agent phalanx-nft/<version> for the bouncer" \
    bash -c "'$PHALANX' bouncers list --db '$DB' -o json | tr -d '\n ' | grep -q '\"type\":\"phalanx-nft\",\"version\":\"[0-9]'"
  check "the bouncer came over the Unix socket (address \"unix\")" \
    bash -c "'$PHALANX' bouncers list --db '$DB' -o json | tr -d '\n ' | grep -q '\"ip_address\":\"unix\"'"
  usage_accepted() {
    nsenter --net="/run/netns/$NS" curl -s "http://127.0.0.1:$CS_PORT/metrics" |
      grep -q 'phalanx_lapi_requests_total{route="/v1/usage-metrics",method="POST",code="201"}'
  }
  check "usage metrics were POSTed and answered 201" eventually 10 usage_accepted
else
  check "the LAPI saw User-Agent phalanx-nft/<version>" grep -q 'phalanx-nft/[0-9]' "$WORK/cs/lapi.log"
  check "usage metrics were POSTed (CrowdSec 1.4.6 answers 404: warned once)" \
    eventually 10 grep -q "has no /v1/usage-metrics" "$WORK/nft.log"
fi
if [ "$FAILED" -ne 0 ]; then
  cat "$WORK/nft.log"
  nsenter --net="/run/netns/$NS" nft list table inet phalanx
  [ -n "$PHALANXD" ] && "$PHALANX" bouncers list --db "$DB" -o json
  tail -20 "$WORK/cs/lapi.log" "$WORK/lapi.log" 2>/dev/null
fi
echo "$((N - FAILED)) passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
