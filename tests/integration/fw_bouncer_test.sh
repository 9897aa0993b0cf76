#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Interoperability: Debian's crowdsec-firewall-bouncer (0.0.25, nftables mode) pointed at a
# Local API inside a private network namespace. A decision added with the LAPI's CLI must appear
# in the bouncer's nft set, and deleting it must remove it; for IPv4 and IPv6.
#
#   fw_bouncer_test.sh phalanxd PHALANXD PHALANX   the Phalanx LAPI (what the test is for)
#   fw_bouncer_test.sh crowdsec                    Debian's crowdsec 1.4.6 LAPI (checks the
#                                                  test's own expectations against the reference)
#
# The bouncer and the crowdsec packages are fetched with `apt-get download` and unpacked with
# `dpkg -x` into private prefixes (never installed, no service). Everything runs inside the
# namespace, so the host's ruleset is never touched. Exits 77 (skipped) without root, nft or
# the packages. Env: PHALANX_FW_BOUNCER_CACHE (default /tmp/phalanx-fw-bouncer).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kind=${1:?usage: fw_bouncer_test.sh phalanxd PHALANXD PHALANX | crowdsec}

skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, nftables)"
command -v nft >/dev/null || skip "nft not installed"
command -v ip >/dev/null || skip "iproute2 not installed"

cache=${PHALANX_FW_BOUNCER_CACHE:-/tmp/phalanx-fw-bouncer}
fwb=$cache/root/usr/bin/crowdsec-firewall-bouncer
if [ ! -x "$fwb" ]; then
  mkdir -p "$cache"
  (cd "$cache" && rm -f crowdsec-firewall-bouncer_*.deb &&
    apt-get download -q -o APT::Sandbox::User=root crowdsec-firewall-bouncer >/dev/null 2>&1) ||
    skip "cannot download crowdsec-firewall-bouncer (apt-get download)"
  dpkg -x "$cache"/crowdsec-firewall-bouncer_*.deb "$cache/root" || die "dpkg -x failed"
fi

ns=phx-fwb-$$
work=$(mktemp -d)
lapi_pid=
fwb_pid=
# stop PID: SIGTERM, then SIGKILL after 5 s (the bouncer can hang tearing its tables down).
stop() {
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}
cleanup() {
  stop "$fwb_pid"
  stop "$lapi_pid"
  [ "$kind" = crowdsec ] && cs_stop
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns" || skip "cannot create a network namespace"
ip -n "$ns" link set lo up
# Background processes are started with `ip netns exec` itself (it execs), not through in_ns:
# `in_ns cmd &` would fork a subshell, and $! would be the subshell, not the process to stop.
in_ns() { ip netns exec "$ns" "$@"; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
case "$kind" in
  phalanxd)
    phalanxd=${2:?phalanxd binary}
    phalanx=${3:?phalanx binary}
    db="sqlite://$work/phalanx.db"
    cat >"$work/phalanxd.yaml" <<YAML
lapi:
  listen: 127.0.0.1:$port
db: $db
profiles: $here/../../scenarios/profiles/profiles.yaml
YAML
    ip netns exec "$ns" "$phalanxd" --config "$work/phalanxd.yaml" >"$work/lapi.log" 2>&1 &
    lapi_pid=$!
    for _ in $(seq 1 100); do
      in_ns curl -s -o /dev/null "http://127.0.0.1:$port/health" && break
      kill -0 "$lapi_pid" 2>/dev/null || { cat "$work/lapi.log"; die "phalanxd exited"; }
      sleep 0.1
    done
    key=$("$phalanx" bouncers add fw-bouncer --db "$db" -o raw) || die "phalanx bouncers add"
    add_decision() { "$phalanx" decisions add --db "$db" -i "$1" -d 1h >/dev/null; }
    del_decision() { "$phalanx" decisions delete --db "$db" -i "$1" >/dev/null; }
    ;;
  crowdsec)
    # shellcheck source=crowdsec_lapi.sh
    . "$here/crowdsec_lapi.sh"
    cs_unpack || skip "cannot fetch the crowdsec package"
    CS_WRAP="ip netns exec $ns"
    cs_start "$work/cs" || die "crowdsec LAPI did not start"
    port=$CS_PORT
    key=$(cs_cscli bouncers add fw-bouncer -o raw) || die "cscli bouncers add"
    add_decision() { cs_cscli decisions add -i "$1" -d 1h >/dev/null 2>&1; }
    del_decision() { cs_cscli decisions delete -i "$1" >/dev/null 2>&1; }
    ;;
  *) die "unknown LAPI kind '$kind'" ;;
esac

cat >"$work/fwb.yaml" <<YAML
mode: nftables
pid_dir: $work/
update_frequency: 1s
daemonize: false
log_mode: stdout
log_level: info
api_url: http://127.0.0.1:$port/
api_key: $key
disable_ipv6: false
deny_action: DROP
deny_log: false
supported_decisions_types:
  - ban
blacklists_ipv4: crowdsec-blacklists
blacklists_ipv6: crowdsec6-blacklists
nftables:
  ipv4:
    enabled: true
    set-only: false
    table: crowdsec
    chain: crowdsec-chain
  ipv6:
    enabled: true
    set-only: false
    table: crowdsec6
    chain: crowdsec6-chain
prometheus:
  enabled: false
YAML
ip netns exec "$ns" "$fwb" -c "$work/fwb.yaml" >"$work/fwb.log" 2>&1 &
fwb_pid=$!

# in_set FAMILY TABLE SET ADDR: the address is an element of the bouncer's set.
in_set() { in_ns nft list set "$1" "$2" "$3" 2>/dev/null | grep -qw -- "$4"; }
# wait_for want FAMILY TABLE SET ADDR: polls for 20 s.
wait_for() {
  local want=$1 i
  shift
  for i in $(seq 1 200); do
    if in_set "$@"; then [ "$want" = present ] && return 0; else [ "$want" = absent ] && return 0; fi
    kill -0 "$fwb_pid" 2>/dev/null || { cat "$work/fwb.log"; die "the bouncer exited"; }
    sleep 0.1
  done
  echo "--- bouncer log"; tail -30 "$work/fwb.log"
  [ -n "$lapi_pid" ] && { echo "--- lapi log"; tail -30 "$work/lapi.log"; }
  die "$4 is not $want in $1 $2 $3 after 20 s"
}

for _ in $(seq 1 100); do
  in_ns nft list table ip crowdsec >/dev/null 2>&1 && break
  kill -0 "$fwb_pid" 2>/dev/null || { cat "$work/fwb.log"; die "the bouncer exited"; }
  sleep 0.1
done

start=$(date +%s%N)
add_decision 192.0.2.7 || die "adding the IPv4 decision"
add_decision 2001:db8::7 || die "adding the IPv6 decision"
wait_for present ip crowdsec crowdsec-blacklists 192.0.2.7
wait_for present ip6 crowdsec6 crowdsec6-blacklists 2001:db8::7
echo "ok: decisions reached the bouncer's sets in $(( ($(date +%s%N) - start) / 1000000 )) ms"
in_set ip crowdsec crowdsec-blacklists 192.0.2.8 && die "192.0.2.8 was never banned"

del_decision 192.0.2.7 || die "deleting the IPv4 decision"
del_decision 2001:db8::7 || die "deleting the IPv6 decision"
wait_for absent ip crowdsec crowdsec-blacklists 192.0.2.7
wait_for absent ip6 crowdsec6 crowdsec6-blacklists 2001:db8::7
echo "ok: deleted decisions left the bouncer's sets"
echo "PASS: crowdsec-firewall-bouncer against $kind"
