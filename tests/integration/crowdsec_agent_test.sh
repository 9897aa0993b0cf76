#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Interoperability: Debian's crowdsec 1.4.6 agent and cscli against phalanxd's Local API.
#   1. `cscli lapi register` registers the agent as a machine (POST /v1/watchers, pending);
#      `phalanx machines validate` validates it.
#   2. The agent (no LAPI of its own, -no-api) replays a small log with a parser and a
#      scenario written here, logs in (POST /v1/watchers/login) and pushes its alert
#      (POST /v1/alerts).
#   3. phalanxd's profiles turn the alert into a 4h ban, seen with `phalanx alerts list` and
#      `phalanx decisions list`, and through the API with cscli's `alerts list` and
#      `decisions list`.
#
#   crowdsec_agent_test.sh PHALANXD PHALANX
#
# The crowdsec package is fetched with `apt-get download` and unpacked with `dpkg -x` into a
# private prefix (crowdsec_lapi.sh). Exits 77 (skipped) without the package or namespaces.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
phalanxd=${1:?usage: crowdsec_agent_test.sh PHALANXD PHALANX}
phalanx=${2:?phalanx binary}
skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*"; exit 1; }
# shellcheck source=crowdsec_lapi.sh
. "$here/crowdsec_lapi.sh"
cs_unpack || skip "cannot fetch the crowdsec package"
[ "$(id -u)" -eq 0 ] || skip "needs root (a private network namespace keeps the agent on loopback)"

ns=phx-agent-$$
work=$(mktemp -d)
lapi_pid=
cleanup() {
  [ -n "$lapi_pid" ] && kill "$lapi_pid" 2>/dev/null && wait "$lapi_pid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns" || skip "cannot create a network namespace"
ip -n "$ns" link set lo up
in_ns() { ip netns exec "$ns" "$@"; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
db="sqlite://$work/phalanx.db"
cat >"$work/phalanxd.yaml" <<YAML
lapi:
  listen: 127.0.0.1:$port
db: $db
profiles: $here/../../scenarios/profiles/profiles.yaml
YAML
in_ns "$phalanxd" --config "$work/phalanxd.yaml" >"$work/lapi.log" 2>&1 &
lapi_pid=$!
for _ in $(seq 1 100); do
  in_ns curl -s -o /dev/null "http://127.0.0.1:$port/health" && break
  kill -0 "$lapi_pid" 2>/dev/null || { cat "$work/lapi.log"; die "phalanxd exited"; }
  sleep 0.1
done

# The agent's private configuration: one parser chain and one scenario, no hub.
cs=$work/cs
mkdir -p "$cs"/{data,hub,patterns,parsers/s01-parse,parsers/s02-enrich,scenarios,log}
echo '{"parsers":{},"scenarios":{},"postoverflows":{},"collections":{}}' >"$cs/hub/.index.json"
cat >"$cs/config.yaml" <<YAML
common:
  daemonize: false
  log_media: file
  log_dir: $cs/log/
  log_level: info
  working_dir: $cs
config_paths:
  config_dir: $cs/
  data_dir: $cs/data/
  simulation_path: $cs/simulation.yaml
  hub_dir: $cs/hub/
  index_path: $cs/hub/.index.json
crowdsec_service:
  acquisition_path: $cs/acquis.yaml
  parser_routines: 1
  buckets_routines: 1
  output_routines: 1
db_config:
  type: sqlite
  db_path: $cs/data/unused.db
api:
  client:
    insecure_skip_verify: false
    credentials_path: $cs/local_api_credentials.yaml
prometheus:
  enabled: false
YAML
echo 'simulation: false' >"$cs/simulation.yaml"
: >"$cs/acquis.yaml"
cat >"$cs/parsers/s01-parse/phalanx-test.yaml" <<'YAML'
name: phalanx/test-attack-log
onsuccess: next_stage
filter: "evt.Line.Labels.type == 'phalanxtest'"
pattern_syntax:
  PHX_TS: '[0-9TZ:.-]+'
  PHX_V4: '[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+'
grok:
  pattern: '^%{PHX_TS:timestamp} attack from %{PHX_V4:source_ip}$'
  apply_on: Line.Raw
statics:
  - meta: log_type
    value: phalanx_test_attack
  - meta: source_ip
    expression: evt.Parsed.source_ip
  - target: evt.StrTime
    expression: evt.Parsed.timestamp
YAML
cat >"$cs/parsers/s02-enrich/dateparse.yaml" <<'YAML'
name: phalanx/test-dateparse
filter: "evt.StrTime != ''"
statics:
  - method: ParseDate
    expression: evt.StrTime
  - target: MarshaledTime
    expression: evt.Enriched.MarshaledTime
YAML
cat >"$cs/scenarios/phalanx-test.yaml" <<'YAML'
type: leaky
name: phalanx/test-attack
description: "three attack lines from one source"
filter: "evt.Meta.log_type == 'phalanx_test_attack'"
groupby: evt.Meta.source_ip
capacity: 2
leakspeed: 10s
blackhole: 1m
labels:
  remediation: true
YAML
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for i in 1 2 3 4; do echo "$now attack from 192.0.2.44"; done >"$work/attack.log"
echo "$now attack from 192.0.2.45" >>"$work/attack.log"

cscli() { in_ns "$CS_ROOT/usr/bin/cscli" -c "$cs/config.yaml" "$@"; }
# cscli 1.4.6 reads the credentials file before any command, register included: a placeholder
# that the registration overwrites.
printf 'url: http://127.0.0.1:%s/\nlogin: placeholder\npassword: placeholder\n' "$port" \
  >"$cs/local_api_credentials.yaml"
cscli lapi register --url "http://127.0.0.1:$port/" --machine phx-agent >"$work/register.log" 2>&1 ||
  { cat "$work/register.log"; die "cscli lapi register"; }
"$phalanx" machines list --db "$db" -o json | grep -q '"isValidated": false' ||
  die "the registered machine is not pending"
"$phalanx" machines validate phx-agent --db "$db" >/dev/null || die "phalanx machines validate"
echo "ok: cscli lapi register created a pending machine; phalanx machines validate validated it"

# 1.4.6 can linger after a replay: it is given 60 s, then stopped; the test polls the LAPI.
in_ns timeout 60 "$CS_ROOT/usr/bin/crowdsec" -c "$cs/config.yaml" -no-api \
  -dsn "file://$work/attack.log" -type phalanxtest >"$work/agent.out" 2>&1 &
agent_pid=$!
found=
for _ in $(seq 1 300); do
  if "$phalanx" decisions list --db "$db" -o json | grep -q '"value": "192.0.2.44"'; then
    found=1
    break
  fi
  sleep 0.2
done
kill "$agent_pid" 2>/dev/null
wait "$agent_pid" 2>/dev/null
if [ -z "$found" ]; then
  echo "--- agent"; tail -20 "$cs/log/crowdsec.log" 2>/dev/null; tail -20 "$work/agent.out"
  echo "--- phalanxd"; tail -30 "$work/lapi.log"
  die "no decision for 192.0.2.44 after the agent's replay"
fi
"$phalanx" alerts list --db "$db" -o json | grep -q '"scenario": "phalanx/test-attack"' ||
  die "the alert is not listed"
"$phalanx" decisions list --db "$db" -o json | grep -q '"value": "192.0.2.45"' &&
  die "192.0.2.45 (one line) must not be banned"
echo "ok: the agent's alert was stored and the profiles banned 192.0.2.44"

out=$(cscli alerts list -o json 2>&1) || { echo "$out"; die "cscli alerts list through phalanxd"; }
echo "$out" | grep -q 'phalanx/test-attack' || { echo "$out"; die "cscli alerts list misses the alert"; }
out=$(cscli decisions list -o json 2>&1) || { echo "$out"; die "cscli decisions list through phalanxd"; }
echo "$out" | grep -q '192.0.2.44' || { echo "$out"; die "cscli decisions list misses the ban"; }
echo "ok: cscli 1.4.6 lists the alert and the decision through phalanxd's API"
echo "PASS: crowdsec 1.4.6 agent and cscli against phalanxd"
