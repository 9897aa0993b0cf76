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
#                       [--timeout S] [--grace S]
#       Replay LOG with an already prepared DIR (the benchmark times this step alone). --no-dump
#       sends the alerts to the private LAPI instead of the YAML dumps; --wrap prefixes the
#       command (e.g. --wrap /usr/bin/time --wrap -v). 1.4.6 can hang at the end of a replay:
#       it is killed --grace s (60) after the end of the file or --timeout s (1800) after the
#       start, and run exits 3. Env: PHALANX_CROWDSEC_GRACE, PHALANX_CROWDSEC_TIMEOUT.
#   crowdsec_ref.sh db-alerts DIR | log-alerts DIR
#       The triples of the alerts a --no-dump run stored in DIR's database, or logged.
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
#  * 1.4.6 has no `-order-event` flag (hubtest's current command line adds it).
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
#    Likewise the LRU cache keys of `data:` entries (strategy, size, ttl) are dropped.
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

# is_wanted_version BIN: not `BIN -version | grep -q`, whose early exit can SIGPIPE the binary
# and, under pipefail, fail the check.
is_wanted_version() {
  local v
  v=$("$1" -version 2>&1) || return 1
  case "$v" in *"version: v$want_version"*) return 0 ;; *) return 1 ;; esac
}

fetch() {
  local bin
  bin=$(crowdsec_bin)
  # Idempotent: an unpacked binary of the right version is reused as it is.
  if [ -x "$bin" ] && is_wanted_version "$bin"; then
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
  is_wanted_version "$bin" || die "unpacked $bin is not $want_version"
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

# descendants PID: every process below PID (by parent id, not by name).
descendants() {
  local c
  for c in $(pgrep -P "$1" 2>/dev/null || true); do
    echo "$c"
    descendants "$c"
  done
}

run() {
  local dir="" file="" type="" dump="" nodump=0 wrap=()
  local limit=${PHALANX_CROWDSEC_TIMEOUT:-1800} grace=${PHALANX_CROWDSEC_GRACE:-60}
  while [ $# -gt 0 ]; do
    case "$1" in
      --dir) dir=$2; shift 2 ;;
      --timeout) limit=$2; shift 2 ;;
      --grace) grace=$2; shift 2 ;;
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
  rm -f "$dir/log/hung"
  local bin
  bin=$(crowdsec_bin)
  # -dump-data writes parser-dump.yaml, bucketpour-dump.yaml and bucket-dump.yaml at exit. It
  # keeps every parsed event in memory until then (~5 KB of YAML per ssh line; 785 MB peak RSS
  # for 3,000 ssh lines), so it suits the differential check's small files, not a benchmark.
  # With --no-dump the alerts go to the private LAPI's SQLite database instead, what a real
  # `crowdsec -dsn` does. -info: the agent then logs every alert it outputs ("Ip X performed
  # 'S' ...") and the start and end of the processing, which the benchmark reads.
  # stdin closed: nothing waits for a terminal.
  local cmd=("$bin" -c "$dir/config.yaml" -dsn "file://$file" -type "$type" -info)
  [ "$nodump" = 1 ] || cmd+=(-dump-data "$dump")
  local log=$dir/log/replay.out
  if netns_ok; then
    # A private network namespace with only loopback up: nothing can leave the machine.
    unshare -n sh -c 'ip link set lo up; exec "$@"' sh ${wrap[@]+"${wrap[@]}"} "${cmd[@]}" \
      </dev/null >"$log" 2>&1 &
  else
    ${wrap[@]+"${wrap[@]}"} "${cmd[@]}" </dev/null >"$log" 2>&1 &
  fi
  # A watchdog, because 1.4.6 can deadlock at the end of a replay: without -dump-data, with many
  # overflows still in flight when the file ends, bucket goroutines block forever on `chan send`
  # (bucket.go:322) once the output side stopped reading (seen on 50,000 ssh lines: stuck at
  # 0 % CPU after 1,359 of ~1,660 alerts). GRACE seconds after "Acquisition is finished", or
  # LIMIT seconds in all, the crowdsec process (found by parent id) is killed; a wrapper such as
  # /usr/bin/time still reports. The run then returns 3 and leaves DIR/log/hung.
  local pid=$! t0=$SECONDS done_at="" rc=0 p
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ -z "$done_at" ] && grep -q 'Acquisition is finished' "$log"; then done_at=$SECONDS; fi
    if { [ -n "$done_at" ] && [ $((SECONDS - done_at)) -ge "$grace" ]; } ||
      [ $((SECONDS - t0)) -ge "$limit" ]; then
      echo "after $((SECONDS - t0)) s" >"$dir/log/hung"
      for p in $pid $(descendants "$pid"); do
        [ "$(ps -o comm= -p "$p" 2>/dev/null)" = crowdsec ] && kill -TERM "$p" 2>/dev/null || true
      done
      sleep 5
      for p in $pid $(descendants "$pid"); do
        [ "$(ps -o comm= -p "$p" 2>/dev/null)" = crowdsec ] && kill -KILL "$p" 2>/dev/null || true
      done
      break
    fi
  done
  wait "$pid" || rc=$?
  if [ -f "$dir/log/hung" ]; then
    log "crowdsec had not exited ${grace} s after the end of the file ($(cat "$dir/log/hung")); killed (1.4.6 end-of-replay deadlock)"
    return 3
  fi
  if [ "$rc" -ne 0 ] || { [ "$nodump" = 0 ] && [ ! -f "$dump/bucket-dump.yaml" ]; }; then
    grep -v '^goroutine\|^\s\|level=info' "$log" | tail -20 >&2
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

log_alerts() {
  # Alerts from the agent's own log of a run made at -info: one line per alert it output,
  # "<Scope> <value|N sources> performed '<scenario>' (...)". The output routine logs that line
  # after the postoverflows and before its whitelist check, so a whitelisted overflow is followed
  # by "[<same message>] is whitelisted, skip." and is subtracted here. Works even when the run
  # had to be killed at the end (then it is a lower bound: overflows stuck in the deadlock are
  # not logged).
  local dir=${1:?log-alerts DIR}
  "$py" - "$dir/log/replay.out" <<'EOF'
import collections, re, sys
perf = re.compile(r'level=info msg="(([A-Za-z]+) (.+?) performed \'([^\']+)\' \(.*)"$')
wl = re.compile(r'level=info msg="\[(.*)\] is whitelisted, skip\."$')
rows, whitelisted = [], collections.Counter()
with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
    for line in f:
        line = line.rstrip("\n")
        m = perf.search(line)
        if m:
            rows.append((m.group(1), (m.group(4), m.group(2), m.group(3))))
            continue
        m = wl.search(line)
        if m:
            whitelisted[m.group(1)] += 1
out = []
for msg, triple in rows:
    if whitelisted[msg] > 0:
        whitelisted[msg] -= 1
        continue
    out.append(triple)
for t in sorted(out):
    print("\t".join(t))
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
  log-alerts) shift; log_alerts "$@" ;;
  replay) shift; replay "$@" ;;
  *) sed -n '4,31p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
