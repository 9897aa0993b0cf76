#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The CrowdSec side of Phalanx's differential check: replays a log through CrowdSec 1.4.6 (the
# reference being compared, Debian's `crowdsec` package) in time-machine mode with a chosen set of
# hub collections, and prints its alerts as `scenario<TAB>scope<TAB>value` lines, sorted, one per
# (alert, source).
#
#   crowdsec_ref.sh fetch
#       Download and unpack crowdsec 1.4.6 into the private prefix; print the binary's path.
#   crowdsec_ref.sh prepare --dir DIR --collection C [--collection C ...] [--hub HUB]
#       Build a private runtime config in DIR (must be empty or absent) and drop the hub items
#       1.4.6 refuses. DIR/refused.tsv lists them, DIR/loaded_scenarios.txt what is left.
#   crowdsec_ref.sh run --dir DIR --file LOG --type TYPE [--dump DUMPDIR | --no-dump] [--wrap W]...
#       Replay LOG with an already prepared DIR (the benchmark times this step alone). --no-dump
#       sends the alerts to the private LAPI instead of the YAML dumps; --wrap prefixes the
#       command (e.g. --wrap /usr/bin/time --wrap -v).
#   crowdsec_ref.sh db-alerts DIR
#       The triples of the alerts a --no-dump run stored in DIR's database.
#   crowdsec_ref.sh extract DUMPDIR
#       Print the triples from DUMPDIR/bucket-dump.yaml.
#   crowdsec_ref.sh replay --file LOG --type TYPE --collection C ... [--hub HUB] [--out FILE]
#                          [--keep DIR]
#       prepare + run + extract in a temp dir (removed at exit unless --keep).
#
# Environment: PHALANX_CROWDSEC_PREFIX (default <repo>/build/crowdsec-1.4.6), PHALANX_CROWDSEC_CACHE
# (where the .deb is kept; default <prefix>.deb), PHALANX_HUB_DIR (default ../shared/hub beside the
# repository), PHALANX_PYTHON (default python3; needs the yaml module, Debian's python3-yaml).
#
# What 1.4.6 makes us do (found by running it; see also the report in tests/differential/README.md):
#  * The package is only unpacked (`dpkg -x`), never installed: no service, no /etc/crowdsec, no
#    systemd unit. Every path of the runtime config points into DIR.
#  * 1.4.6 has no `-order-event` flag (hubtest's current command line); with `parser_routines: 1`
#    and one bucket goroutine per key the replay is still deterministic for our purposes (checked
#    by running the same file twice).
#  * 1.4.6 needs its LAPI even with `-dump-data`: the output routine logs in as a watcher before
#    the first line is read (`authenticate watcher ... connection refused` is fatal), although
#    the alerts then go to the dump. So the embedded LAPI runs, on 127.0.0.1 (a free port, inside
#    a private network namespace when possible) with a private SQLite file, and `prepare`
#    registers a machine for it with the package's own cscli. The database right after that is
#    kept as crowdsec.db.pristine and restored before each run.
#  * Without -order-event, pours reach the bucket goroutines concurrently: the *set* of
#    (scenario, source) pairs is stable from run to run, but how many alerts one source gets can
#    vary by one or two (e.g. 142 and 141 on the same 5,000 ssh lines). Compare sets.
#  * 1.4.6 aborts on the first item it cannot load (a fatal error, not a skip), so `prepare`
#    loops on `crowdsec -t`, removing the named file each time and recording why.
#  * Scenario labels are map[string]string in 1.4.6, and almost every current hub scenario has
#    a list label (`classification: [...]`): cs_helper.py joins such lists into a string, which
#    changes no detection logic. Without this shim 1.4.6 would load no hub scenario at all.
#  * The replay runs in a private network namespace that has only loopback (`unshare -n`): the
#    hub's rdns postoverflow would otherwise send reverse-DNS queries off the machine. If
#    namespaces are not available, the rdns postoverflow is refused instead.
#  * Syslog timestamps have no year; CrowdSec gives them the current year of the wall clock
#    (see README.md). TZ=UTC is pinned so the same lines mean the same instants on both sides.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
prefix=${PHALANX_CROWDSEC_PREFIX:-$repo/build/crowdsec-1.4.6}
cache=${PHALANX_CROWDSEC_CACHE:-$prefix.deb}
hub_default=${PHALANX_HUB_DIR:-$repo/../shared/hub}
py=${PHALANX_PYTHON:-python3}
helper=$here/cs_helper.py
want_version=1.4.6
export TZ=UTC

die() { echo "crowdsec_ref: $*" >&2; exit 1; }
log() { echo "crowdsec_ref: $*" >&2; }

crowdsec_bin() { echo "$prefix/usr/bin/crowdsec"; }

fetch() {
  local bin
  bin=$(crowdsec_bin)
  # Idempotent: an unpacked binary of the right version is reused as it is.
  if [ -x "$bin" ] && "$bin" -version 2>&1 | grep -q "version: v$want_version"; then
    echo "$bin"
    return
  fi
  mkdir -p "$cache"
  local deb
  deb=$(ls "$cache"/crowdsec_"$want_version"*_amd64.deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    # apt-cache knows nothing before the first `apt-get update` on a fresh machine.
    local ver
    ver=$(apt-cache policy crowdsec 2>/dev/null | awk '/Candidate:/ {print $2}')
    if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
      apt-get update -qq >&2
      ver=$(apt-cache policy crowdsec | awk '/Candidate:/ {print $2}')
    fi
    case "$ver" in
      "$want_version"*) ;;
      *) die "Debian offers crowdsec '$ver', not $want_version: pin a Debian 12 (bookworm) source" ;;
    esac
    # -o APT::Sandbox::User=root: the cache dir is root's, so apt's _apt sandbox user could
    # not write there (it only warns, but the warning is noise).
    (cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "crowdsec=$ver" >&2)
    deb=$(ls "$cache"/crowdsec_"$want_version"*_amd64.deb | head -1)
  fi
  rm -rf "$prefix.tmp"
  dpkg -x "$deb" "$prefix.tmp"
  rm -rf "$prefix"
  mv "$prefix.tmp" "$prefix"
  "$bin" -version 2>&1 | grep -q "version: v$want_version" || die "unpacked $bin is not $want_version"
  echo "$bin"
}

free_port() {
  # A port nothing listens on; the agent is given it as its LAPI URL but never connects in
  # -dump-data mode. Only 127.0.0.1 is ever named.
  "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

netns_ok() {
  # cached: 0 = `unshare -n` works here
  if [ -z "${_netns_ok:-}" ]; then
    if unshare -n true 2>/dev/null; then _netns_ok=0; else _netns_ok=1; fi
  fi
  return "$_netns_ok"
}

write_config() {
  local dir=$1 hub=$2 port
  port=$(free_port)
  mkdir -p "$dir"/{data,log,notifications,plugins,hub}
  # Derived from the hub's .tests/template_config.yaml (what hubtest uses), every path private.
  # The hub dir is a private copy of .index.json only: 1.4.6 reads the index at start to know
  # item versions, and items installed as plain files are "local" items, which it loads as well.
  cat >"$dir/config.yaml" <<EOF
common:
  daemonize: false
  log_media: file
  log_level: info
  log_dir: $dir/log/
  working_dir: $dir
config_paths:
  config_dir: $dir/
  data_dir: $dir/data/
  simulation_path: $dir/simulation.yaml
  hub_dir: $dir/hub/
  index_path: $dir/hub/.index.json
  notification_dir: $dir/notifications/
  plugin_dir: $dir/plugins/
crowdsec_service:
  acquisition_path: $dir/acquis.yaml
  parser_routines: 1
  buckets_routines: 1
  output_routines: 1
cscli:
  output: human
db_config:
  log_level: info
  type: sqlite
  db_path: $dir/data/crowdsec.db
  use_wal: false
api:
  client:
    insecure_skip_verify: false
    credentials_path: $dir/local_api_credentials.yaml
  server:
    log_level: info
    listen_uri: 127.0.0.1:$port
    profiles_path: $dir/profiles.yaml
prometheus:
  enabled: false
  level: full
  listen_addr: 127.0.0.1
  listen_port: $port
EOF
  cp "$hub/.tests/template_profiles.yaml" "$dir/profiles.yaml"
  cp "$hub/.tests/template_simulation.yaml" "$dir/simulation.yaml"
  : >"$dir/acquis.yaml"
  cp "$hub/.index.json" "$dir/hub/.index.json"
  cp -r "$hub/patterns" "$dir/patterns"
}

prepare() {
  local dir="" hub=$hub_default cols=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --dir) dir=$2; shift 2 ;;
      --hub) hub=$2; shift 2 ;;
      --collection) cols+=("$2"); shift 2 ;;
      *) die "prepare: unknown argument $1" ;;
    esac
  done
  [ -n "$dir" ] || die "prepare: --dir is required"
  [ ${#cols[@]} -gt 0 ] || die "prepare: at least one --collection"
  [ -f "$hub/.index.json" ] || die "no hub at $hub"
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then die "prepare: $dir is not empty"; fi
  dir=$(mkdir -p "$dir" && cd "$dir" && pwd)
  hub=$(cd "$hub" && pwd)
  local bin
  bin=$(fetch)
  write_config "$dir" "$hub"
  # The agent logs in to the LAPI even in dump mode: register a machine in the private database
  # (even `crowdsec -t` wants the credentials file to exist).
  "$(dirname "$bin")/cscli" -c "$dir/config.yaml" machines add phalanx-differential \
    --password "phalanx-differential-$$" -f "$dir/local_api_credentials.yaml" --force \
    >"$dir/log/cscli.out" 2>&1 || { cat "$dir/log/cscli.out" >&2; die "cscli machines add failed"; }
  cp "$dir/data/crowdsec.db" "$dir/crowdsec.db.pristine"
  "$py" "$helper" install "$hub" "$dir" "${cols[@]}"
  : >"$dir/refused.tsv"
  if ! netns_ok && [ -f "$dir/postoverflows/s00-enrich/rdns.yaml" ]; then
    rm -f "$dir/postoverflows/s00-enrich/rdns.yaml"
    printf 'crowdsecurity/rdns\tpostoverflows/s00-enrich/rdns.yaml\t%s\n' \
      "no network namespace here, and reverse DNS would query a resolver off the machine" \
      >>"$dir/refused.tsv"
  fi
  # 1.4.6 stops at the first item it cannot load: remove it, note why, try again.
  # -t loads everything and exits; it also wants a datasource ("no datasource enabled" is
  # fatal with the empty acquis.yaml), hence a DSN on an empty file.
  : >"$dir/empty.log"
  local i out file reason rel item
  for i in $(seq 1 200); do
    if out=$("$bin" -c "$dir/config.yaml" -t -warning -dsn "file://$dir/empty.log" -type syslog \
      2>&1 </dev/null); then
      break
    fi
    reason=$(printf '%s\n' "$out" | grep -m1 'level=fatal' | sed -e 's/^.*msg="//' -e 's/"$//' || true)
    [ -n "$reason" ] || reason=$(printf '%s\n' "$out" | tail -1)
    file=$(printf '%s\n' "$reason" | grep -oE "$dir/(parsers|scenarios|postoverflows)/[^ :'\"]+\.yaml" | head -1 || true)
    if [ -z "$file" ]; then
      # Some errors name the scenario, not the file: find it through the install manifest.
      local name
      name=$(printf '%s\n' "$reason" | grep -oE "[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+" | while read -r n; do
        awk -F'\t' -v n="$n" '$3 == n {print $4; exit}' "$dir/items.tsv"; done | head -1 || true)
      file=$name
    fi
    [ -n "$file" ] && [ -f "$file" ] || {
      printf '%s\n' "$out" >&2
      die "crowdsec -t failed and the error names no item file; see above"
    }
    rel=${file#"$dir"/}
    item=$(awk -F'\t' -v f="$file" '$4 == f {print ($1 == "scenarios" ? $3 " (from " $2 ")" : $2); exit}' "$dir/items.tsv")
    # One line per refusal, with the cause shortened to one line.
    printf '%s\t%s\t%s\n' "${item:-?}" "$rel" "$(printf '%s' "$reason" | "$py" "$helper" reason "$dir")" \
      >>"$dir/refused.tsv"
    rm -f "$file"
    [ "$i" -lt 200 ] || die "too many refusals"
  done
  "$py" "$helper" loaded "$dir" >"$dir/loaded_scenarios.txt"
  local nref nload
  nref=$(wc -l <"$dir/refused.tsv")
  nload=$(wc -l <"$dir/loaded_scenarios.txt")
  log "prepared $dir: $nload scenarios loaded, $nref item(s) refused by $want_version (refused.tsv)"
  if [ "$nref" -gt 0 ]; then cut -f1,3 "$dir/refused.tsv" | sed 's/^/  refused: /' >&2; fi
}

run() {
  local dir="" file="" type="" dump="" nodump=0 wrap=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --dir) dir=$2; shift 2 ;;
      --no-dump) nodump=1; shift ;;
      # --wrap CMD: a command prefix such as /usr/bin/time -v (one word per --wrap)
      --wrap) wrap+=("$2"); shift 2 ;;
      --file) file=$2; shift 2 ;;
      --type) type=$2; shift 2 ;;
      --dump) dump=$2; shift 2 ;;
      *) die "run: unknown argument $1" ;;
    esac
  done
  [ -f "$dir/config.yaml" ] || die "run: $dir is not prepared"
  [ -f "$file" ] || die "run: no log $file"
  [ -n "$type" ] || die "run: --type is required"
  file=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")
  dump=${dump:-$dir/dump}
  rm -rf "$dump"
  mkdir -p "$dump"
  # A fresh database each run: alerts pushed by an earlier run (no-dump mode) must not pile up.
  cp "$dir/crowdsec.db.pristine" "$dir/data/crowdsec.db"
  local bin
  bin=$(crowdsec_bin)
  # -dump-data writes parser-dump.yaml, bucketpour-dump.yaml and bucket-dump.yaml at exit (it keeps
  # every parsed event in memory until then: ~5 KB of YAML per ssh line). With --no-dump the
  # alerts go to the private LAPI's SQLite database instead (what a real `crowdsec -dsn` does),
  # which the benchmark prefers. Either way the process exits once the file is consumed.
  # stdin closed: nothing waits for a terminal.
  local cmd=("$bin" -c "$dir/config.yaml" -dsn "file://$file" -type "$type" -warning)
  [ "$nodump" = 1 ] || cmd+=(-dump-data "$dump")
  local rc=0
  if netns_ok; then
    # A private network namespace with only loopback up: nothing can leave the machine.
    unshare -n sh -c 'ip link set lo up; exec "$@"' sh ${wrap[@]+"${wrap[@]}"} "${cmd[@]}" \
      </dev/null >"$dir/log/replay.out" 2>&1 || rc=$?
  else
    ${wrap[@]+"${wrap[@]}"} "${cmd[@]}" </dev/null >"$dir/log/replay.out" 2>&1 || rc=$?
  fi
  if [ "$rc" -ne 0 ] || { [ "$nodump" = 0 ] && [ ! -f "$dump/bucket-dump.yaml" ]; }; then
    tail -20 "$dir/log/replay.out" >&2
    die "crowdsec replay failed (exit $rc)"
  fi
}

db_alerts() {
  # Alerts that a --no-dump run pushed to the private LAPI, as the same triples (one per alert;
  # the agent already split multi-source alerts).
  local dir=${1:?db_alerts DIR}
  "$py" - "$dir/data/crowdsec.db" <<'EOF'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
rows = con.execute("select scenario, source_scope, source_value from alerts").fetchall()
for r in sorted(rows):
    print("\t".join(str(x) for x in r))
EOF
}

extract() {
  local dump=${1:?extract DUMPDIR}
  [ -f "$dump/bucket-dump.yaml" ] || die "no $dump/bucket-dump.yaml"
  "$py" "$helper" extract "$dump/bucket-dump.yaml"
}

replay() {
  local file="" type="" out="" keep="" hub=$hub_default cols=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --file) file=$2; shift 2 ;;
      --type) type=$2; shift 2 ;;
      --collection) cols+=(--collection "$2"); shift 2 ;;
      --hub) hub=$2; shift 2 ;;
      --out) out=$2; shift 2 ;;
      --keep) keep=$2; shift 2 ;;
      *) die "replay: unknown argument $1" ;;
    esac
  done
  local dir
  if [ -n "$keep" ]; then
    dir=$keep
  else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/phalanx-crowdsec.XXXXXX")
    # shellcheck disable=SC2064 # expand now: $dir is local
    trap "rm -rf '$dir'" EXIT
  fi
  prepare --dir "$dir/cfg" --hub "$hub" "${cols[@]}"
  run --dir "$dir/cfg" --file "$file" --type "$type" --dump "$dir/dump"
  if [ -n "$out" ]; then extract "$dir/dump" >"$out"; else extract "$dir/dump"; fi
}

command -v "$py" >/dev/null || die "python3 is needed (Debian: python3 python3-yaml)"
"$py" -c 'import yaml' 2>/dev/null || die "$py has no yaml module (Debian: python3-yaml)"

case "${1:-}" in
  fetch) shift; fetch "$@" ;;
  prepare) shift; prepare "$@" ;;
  run) shift; run "$@" ;;
  extract) shift; extract "$@" ;;
  db-alerts) shift; db_alerts "$@" ;;
  replay) shift; replay "$@" ;;
  *) sed -n '4,28p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
