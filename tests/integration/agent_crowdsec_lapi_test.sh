#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Interoperability: Phalanx's agent-side LAPI client (userspace/agent/lapi_client.h, driven by
# agent_client_probe) against Debian's crowdsec 1.4.6 Local API.
#   1. register_machine() creates a pending machine; `cscli machines validate` validates it; the
#      client logs in and pushes alerts, which CrowdSec stores under that machine and bans
#      through its default profile.
#   2. The credentials file `cscli machines add --auto` wrote is read as it is; a gzip body,
#      which 1.4.6 refuses, is sent again plain.
#   3. CrowdSec stopped: alerts go to the spool; CrowdSec back (new JWT secret): the next run
#      sends the spool first, then its own alert, each exactly once, in order.
#
#   agent_crowdsec_lapi_test.sh AGENT_CLIENT_PROBE
#
# The crowdsec package is fetched with `apt-get download` and unpacked with `dpkg -x` into a
# private prefix (crowdsec_lapi.sh); everything runs in a private network namespace. Exits 77
# (skipped) without the package, root or namespaces.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
probe=${1:?usage: agent_crowdsec_lapi_test.sh AGENT_CLIENT_PROBE}
skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*"; [ -n "${CS_DIR:-}" ] && tail -20 "$CS_DIR/lapi.log"; exit 1; }
# shellcheck source=crowdsec_lapi.sh
. "$here/crowdsec_lapi.sh"
command -v jq >/dev/null || skip "needs jq"
cs_unpack || skip "cannot fetch the crowdsec package"
[ "$(id -u)" -eq 0 ] || skip "needs root (a private network namespace)"

ns=phx-agentc-$$
work=$(mktemp -d)
cleanup() {
  cs_stop
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns" || skip "cannot create a network namespace"
ip -n "$ns" link set lo up
CS_WRAP="ip netns exec $ns"
in_ns() { ip netns exec "$ns" "$@"; }

cs_start "$work/cs" || die "crowdsec LAPI did not start"
url="http://127.0.0.1:$CS_PORT/"

# Values of the alerts CrowdSec holds from machine $1, oldest first, one per line.
alerts_of() {
  cs_cscli alerts list -l 0 -o json 2>/dev/null |
    jq -r --arg m "$1" '[.[] | select(.machine_id == $m)] | sort_by(.id) | .[].source.value'
}

# 1. Register, validate, push.
id=$(in_ns "$probe" register "$url" "$work/creds.yaml") || die "register_machine against crowdsec"
cs_cscli machines list -o json | jq -e --arg m "$id" '.[] | select(.machineId == $m) |
  select(.isValidated != true)' >/dev/null || die "machine $id is not pending after registration"
[ "$(stat -c %a "$work/creds.yaml")" = 600 ] || die "credentials file is not 0600"
cs_cscli machines validate "$id" >/dev/null 2>&1 || die "cscli machines validate"
out=$(in_ns "$probe" push "$work/creds.yaml" "$work/spool" 1 3) || die "push: $out"
echo "push: $out"
[ "$(alerts_of "$id" | tr '\n' ' ')" = "198.51.100.1 198.51.100.2 198.51.100.3 " ] ||
  die "CrowdSec holds '$(alerts_of "$id" | tr '\n' ' ')' for $id"
cs_cscli decisions list -o json | jq -e '.[].decisions[]? | select(.value == "198.51.100.1")' \
  >/dev/null || die "no ban for 198.51.100.1 from CrowdSec's profile"
scenarios=$(cs_cscli machines list -o json | jq -r --arg m "$id" '.[] | select(.machineId == $m) | .scenarios')
[ "$scenarios" = "phalanx/probe" ] || die "scenarios sent at login: '$scenarios'"
echo "ok: registered, validated with cscli, 3 alerts stored in order and banned by CrowdSec"

# 2. The credentials file cscli wrote; a batch over 5 KiB, which the client gzips: 1.4.6 answers
#    400 to that, and the client sends it plain.
cs_creds=$CS_DIR/config/local_api_credentials.yaml
out=$(in_ns "$probe" push "$cs_creds" "$work/spool-cs" 100 40) || die "push with cscli's credentials: $out"
echo "push: $out"
want=$(seq 100 139 | sed 's/^/198.51.100./' | tr '\n' ' ')
[ "$(alerts_of phalanx-test | tr '\n' ' ')" = "$want" ] || die "alerts from phalanx-test: $(alerts_of phalanx-test | tr '\n' ' ')"
echo "ok: cscli's local_api_credentials.yaml read as is; 40 alerts sent plain after a refused gzip body"

# 3. CrowdSec down: spooled; back: delivered once, in order.
cs_stop
out=$(in_ns "$probe" push "$work/creds.yaml" "$work/spool" 10 2 2)
rc=$?
[ "$rc" = 3 ] || die "push with the LAPI down exited $rc: $out"
echo "down: $out"
ls "$work/spool"/*.jsonl >/dev/null 2>&1 || die "nothing in the spool"
${CS_WRAP} "$CS_ROOT/usr/bin/crowdsec" -c "$CS_DIR/config/config.yaml" -no-cs \
  >>"$CS_DIR/lapi.log" 2>&1 &
CS_PID=$!
for _ in $(seq 1 100); do
  in_ns curl -s -o /dev/null -w '%{http_code}' "${url}v1/decisions" 2>/dev/null | grep -q 403 && break
  sleep 0.1
done
out=$(in_ns "$probe" push "$work/creds.yaml" "$work/spool" 20 1) || die "push after restart: $out"
echo "back: $out"
got=$(alerts_of "$id" | tr '\n' ' ')
[ "$got" = "198.51.100.1 198.51.100.2 198.51.100.3 198.51.100.10 198.51.100.11 198.51.100.20 " ] ||
  die "after the outage CrowdSec holds '$got'"
ls "$work/spool"/*.jsonl >/dev/null 2>&1 && die "the spool was not emptied"
echo "ok: spooled while CrowdSec was down, delivered once and in order when it was back"
echo "PASS: agent LAPI client against crowdsec 1.4.6"
