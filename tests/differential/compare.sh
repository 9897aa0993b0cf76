#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Differential check: Phalanx's `phalanx replay` against CrowdSec 1.4.6 (the reference being
# compared) on the same generated logs with the same hub collections. Both alert sets are reduced
# to (scenario, scope, value) triples; any triple seen by one side only is printed and the script
# exits 1.
#
#   compare.sh [--mix ssh|nginx|all] [--lines N] [--seed S] [--hub DIR] [--keep DIR]
#       Generate the log(s) with phalanx-loggen, run both sides, compare. Default: all mixes,
#       5,000 ssh lines and 2,000 nginx lines. CrowdSec runs with -dump-data like hubtest, which
#       holds every parsed event in memory (~250 KB of RSS per ssh line: 785 MB for 3,000), and
#       replays nginx at ~200 lines/s here; --lines raises both counts with care.
#   compare.sh files CROWDSEC_TRIPLES PHALANX_JSONL [LOADED_SCENARIOS]
#       Only the comparison, on existing files: the first is crowdsec_ref.sh's output, the
#       second is `phalanx replay -o json` output, the third lists the scenarios CrowdSec loaded.
#   compare.sh selftest
#       Checks the comparison logic on hand-made files (no CrowdSec, no Phalanx needed).
#
# Exit status: 0 same triples, 1 different, 2 could not compare (a side failed, bad input).
#
# Environment: PHALANX_BIN (default <repo>/build/userspace/cli/phalanx), PHALANX_LOGGEN (default
# <repo>/build/bench/loggen/phalanx-loggen), PHALANX_BUILD_DIR (default <repo>/build),
# SSH_COLLECTIONS and NGINX_COLLECTIONS (space-separated, defaults in main()), plus those of
# crowdsec_ref.sh.
#
# Rules of the comparison, and why:
#  * Sets, not counts. CrowdSec 1.4.6 has no -order-event, so the number of alerts one source gets
#    for one scenario can differ by one or two between two runs of the same file. Count
#    differences are printed for information only.
#  * Scenarios that 1.4.6 refuses to load (too new for it: `let`, `if {}`, conditional buckets,
#    SetMeta, ...) cannot be compared. Phalanx alerts for them are counted and listed apart, not
#    treated as differences. The list comes from crowdsec_ref.sh (loaded_scenarios.txt).
#  * Year-less syslog timestamps: CrowdSec takes the current year of the wall clock, so Phalanx
#    is run with `--year $(date -u +%Y)` and both run with TZ=UTC.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${PHALANX_BUILD_DIR:-$repo/build}
phalanx=${PHALANX_BIN:-$build/userspace/cli/phalanx}
loggen=${PHALANX_LOGGEN:-$build/bench/loggen/phalanx-loggen}
hub=${PHALANX_HUB_DIR:-$repo/../shared/hub}
py=${PHALANX_PYTHON:-python3}
export TZ=UTC

# Every temp dir goes into this list and is removed at exit, whatever the exit path.
cleanup_dirs=()
trap 'rm -rf ${cleanup_dirs[@]+"${cleanup_dirs[@]}"}' EXIT
trap 'exit 130' INT TERM
# newtmp NAME VAR: not `$(newtmp)`, whose subshell would lose the list update.
newtmp() {
  local d
  d=$(mktemp -d "${TMPDIR:-/tmp}/phalanx-$1.XXXXXX")
  cleanup_dirs+=("$d")
  printf -v "$2" '%s' "$d"
}

die() { echo "compare: $*" >&2; exit 2; }
log() { echo "compare: $*" >&2; }

# compare_files CS PHALANX_JSONL [LOADED] -> prints the differences, returns 1 if any.
compare_files() {
  local cs=$1 px_json=$2 loaded=${3:-} tmp
  newtmp compare tmp
  # Explicit checks: callers run this in `if`/`||` context, where set -e does not apply.
  # Exit 2 (not 1) means the inputs were unusable, not that the alert sets differ.
  "$py" "$here/cs_helper.py" phalanx "$px_json" >"$tmp/px_all" || return 2
  [ -f "$cs" ] || { log "no $cs"; return 2; }
  sort "$cs" >"$tmp/cs_all"
  if [ -n "$loaded" ]; then
    # Keep only the scenarios CrowdSec loaded; the rest of Phalanx's alerts are set apart.
    awk -F'\t' 'NR == FNR { ok[$0] = 1; next } ($1 in ok)' "$loaded" "$tmp/px_all" >"$tmp/px"
    awk -F'\t' 'NR == FNR { ok[$0] = 1; next } !($1 in ok)' "$loaded" "$tmp/px_all" >"$tmp/px_skip"
  else
    cp "$tmp/px_all" "$tmp/px"
    : >"$tmp/px_skip"
  fi
  sort -u "$tmp/cs_all" >"$tmp/cs_set"
  sort -u "$tmp/px" >"$tmp/px_set"
  comm -23 "$tmp/cs_set" "$tmp/px_set" >"$tmp/only_cs"
  comm -13 "$tmp/cs_set" "$tmp/px_set" >"$tmp/only_px"
  local n_cs n_px n_cs_set n_px_set n_only_cs n_only_px n_skip
  n_cs=$(wc -l <"$tmp/cs_all")
  n_px=$(wc -l <"$tmp/px")
  n_cs_set=$(wc -l <"$tmp/cs_set")
  n_px_set=$(wc -l <"$tmp/px_set")
  n_only_cs=$(wc -l <"$tmp/only_cs")
  n_only_px=$(wc -l <"$tmp/only_px")
  n_skip=$(wc -l <"$tmp/px_skip")
  echo "crowdsec: $n_cs alerts, $n_cs_set distinct (scenario, scope, value)"
  echo "phalanx:  $n_px alerts, $n_px_set distinct (scenario, scope, value)"
  if [ "$n_skip" -gt 0 ]; then
    echo "phalanx:  $n_skip more alerts for scenarios CrowdSec 1.4.6 could not load (not compared):"
    cut -f1 "$tmp/px_skip" | sort | uniq -c | sed 's/^ */    /'
  fi
  # Count differences on the common triples: information only (see the header).
  uniq -c "$tmp/cs_all" | awk '{c = $1; $1 = ""; sub(/^ /, ""); print $0 "\t" c}' | sort >"$tmp/cs_cnt"
  sort "$tmp/px" | uniq -c | awk '{c = $1; $1 = ""; sub(/^ /, ""); print $0 "\t" c}' | sort >"$tmp/px_cnt"
  local ndiffcount
  ndiffcount=$(join -t $'\001' <(sed 's/\t\([0-9]*\)$/\x01\1/' "$tmp/cs_cnt") \
    <(sed 's/\t\([0-9]*\)$/\x01\1/' "$tmp/px_cnt") | awk -F'\001' '$2 != $3' | wc -l)
  if [ "$ndiffcount" -gt 0 ]; then
    echo "info: $ndiffcount common triple(s) have different alert counts (1.4.6 counts are not deterministic)"
  fi
  if [ "$n_only_cs" -eq 0 ] && [ "$n_only_px" -eq 0 ]; then
    echo "SAME: $n_cs_set (scenario, scope, value) triples"
    return 0
  fi
  if [ "$n_only_cs" -gt 0 ]; then
    echo "only in CrowdSec ($n_only_cs):"
    sed 's/^/  - /' "$tmp/only_cs"
  fi
  if [ "$n_only_px" -gt 0 ]; then
    echo "only in Phalanx ($n_only_px):"
    sed 's/^/  + /' "$tmp/only_px"
  fi
  echo "DIFFERENT"
  return 1
}

selftest() {
  local t fails=0 failed_case=()
  newtmp compare-selftest t
  printf 'a/x\nb/y\n' >"$t/loaded"
  # CrowdSec side: tab-separated triples, one per alert (a/x twice for 1.2.3.4).
  printf 'a/x\tIp\t1.2.3.4\na/x\tIp\t1.2.3.4\nb/y\tIp\t2001:db8::1\n' >"$t/cs"
  # 1) same set, different counts, plus an alert of a scenario CrowdSec did not load: SAME.
  cat >"$t/px1" <<'EOF'
{"scenario": "a/x", "source": {"scope": "Ip", "value": "1.2.3.4", "ip": "1.2.3.4"}, "events_count": 6}
{"scenario": "b/y", "source": {"scope": "Ip", "value": "2001:db8::1", "ip": "2001:db8::1"}, "events_count": 6}

{"scenario": "c/new", "source": {"scope": "Ip", "value": "9.9.9.9"}, "events_count": 1}
EOF
  if compare_files "$t/cs" "$t/px1" "$t/loaded" >"$t/out1"; then :; else
    echo "selftest 1 (same set) failed:"; cat "$t/out1"; fails=$((fails + 1)); failed_case+=(1)
  fi
  grep -q 'SAME: 2' "$t/out1" || { echo "selftest 1: no SAME line"; cat "$t/out1"; fails=$((fails + 1)); failed_case+=(1); }
  grep -q 'c/new' "$t/out1" || { echo "selftest 1: unloaded scenario not listed"; fails=$((fails + 1)); failed_case+=(1); }
  grep -q 'different alert counts' "$t/out1" || { echo "selftest 1: count info missing"; fails=$((fails + 1)); failed_case+=(1); }
  # 2) one triple missing on the Phalanx side, one extra (other scope): DIFFERENT, exit 1.
  cat >"$t/px2" <<'EOF'
{"scenario": "a/x", "source": {"scope": "Ip", "value": "1.2.3.4"}, "events_count": 6}
{"scenario": "b/y", "source": {"scope": "Range", "value": "2001:db8::/64"}, "events_count": 6}
EOF
  local rc=0
  compare_files "$t/cs" "$t/px2" "$t/loaded" >"$t/out2" || rc=$?
  if [ "$rc" -ne 1 ]; then echo "selftest 2: exit $rc, expected 1"; fails=$((fails + 1)); failed_case+=(2); fi
  grep -qF $'  - b/y\tIp\t2001:db8::1' "$t/out2" || { echo "selftest 2: missing triple not shown"; cat "$t/out2"; fails=$((fails + 1)); failed_case+=(2); }
  grep -qF $'  + b/y\tRange\t2001:db8::/64' "$t/out2" || { echo "selftest 2: extra triple not shown"; cat "$t/out2"; fails=$((fails + 1)); failed_case+=(2); }
  # 3) without the loaded list every Phalanx alert counts, so c/new is a difference.
  rc=0
  compare_files "$t/cs" "$t/px1" >"$t/out3" || rc=$?
  if [ "$rc" -ne 1 ]; then echo "selftest 3: exit $rc, expected 1"; fails=$((fails + 1)); failed_case+=(3); fi
  # 4) both empty: SAME with 0 triples.
  : >"$t/cs0"; : >"$t/px0"
  compare_files "$t/cs0" "$t/px0" >"$t/out4" || { echo "selftest 4 failed"; cat "$t/out4"; fails=$((fails + 1)); failed_case+=(4); }
  # 5) CrowdSec's real extractor on a hand-made bucket dump in 1.4.6's shape (yaml.v2 lower-cases
  #    field names; whitelisted overflows are in the dump and must be left out).
  cat >"$t/bucket-dump.yaml" <<'EOF'
- Type: 1
  Overflow:
    Sources:
      192.0.2.7:
        scope: Ip
        value: 192.0.2.7
        ip: 192.0.2.7
    Alert:
      scenario: crowdsecurity/ssh-bf
      eventscount: 6
- Type: 1
  Whitelisted: true
  Overflow:
    Sources:
      198.18.0.1:
        scope: Ip
        value: 198.18.0.1
    Alert:
      scenario: crowdsecurity/http-crawl-non_statics
- Type: 1
  Overflow:
    Sources:
      192.0.2.0/24:
        scope: Range
        value: 192.0.2.0/24
      198.51.100.0/24:
        scope: Range
        value: 198.51.100.0/24
    Alert:
      scenario: crowdsecurity/ban-defcon-drop_range
EOF
  "$py" "$here/cs_helper.py" extract "$t/bucket-dump.yaml" >"$t/ext" 2>/dev/null
  printf 'crowdsecurity/ban-defcon-drop_range\tRange\t192.0.2.0/24\ncrowdsecurity/ban-defcon-drop_range\tRange\t198.51.100.0/24\ncrowdsecurity/ssh-bf\tIp\t192.0.2.7\n' >"$t/ext_want"
  diff -u "$t/ext_want" "$t/ext" || { echo "selftest 5: extract differs"; fails=$((fails + 1)); failed_case+=(5); }
  # Five cases; a case fails once however many of its checks fail.
  local total=5 failed_cases
  failed_cases=$(printf '%s\n' "${failed_case[@]}" | sort -u | grep -c . || true)
  echo "compare selftest: $((total - failed_cases)) passed, $failed_cases failed"
  [ "$fails" -eq 0 ]
}

ensure_built() {
  # ensure_built TARGET PATH: build TARGET only when PATH is missing, and never alongside another
  # build of the same tree (two makes in one build dir corrupt each other's outputs).
  local target=$1 path=$2
  [ -x "$path" ] && return 0
  while pgrep -f "cmake --build $build( |$)" >/dev/null 2>&1 ||
    pgrep -f "cmake --build $(basename "$build")( |$)" >/dev/null 2>&1; do
    log "a build is running in $build (see /tmp/build.log); waiting for it"
    sleep 20
  done
  [ -x "$path" ] && return 0
  cmake --build "$build" --target "$target" -j2 >&2
  [ -x "$path" ] || die "$path still missing after building $target"
}

run_mix() {
  # run_mix NAME KIND TYPE LINES SEED WORK COLLECTION...
  local name=$1 kind=$2 type=$3 lines=$4 seed=$5 work=$6
  shift 6
  local cols=() c
  for c in "$@"; do cols+=(--collection "$c"); done
  local d=$work/$name
  mkdir -p "$d"
  "$loggen" --kind "$kind" --lines "$lines" --seed "$seed" >"$d/log"
  log "$name: $lines lines (seed $seed), collections $*"
  local t0 t1
  t0=$(date +%s)
  "$here/crowdsec_ref.sh" prepare --dir "$d/cs" --hub "$hub" "${cols[@]}"
  "$here/crowdsec_ref.sh" run --dir "$d/cs" --file "$d/log" --type "$type" --dump "$d/cs-dump"
  "$here/crowdsec_ref.sh" extract "$d/cs-dump" >"$d/crowdsec.tsv"
  t1=$(date +%s)
  log "$name: crowdsec side took $((t1 - t0)) s"
  local rc=0
  "$phalanx" replay --file "$d/log" --type "$type" --hub "$hub" "${cols[@]}" \
    --year "$(date -u +%Y)" -o json >"$d/phalanx.jsonl" 2>"$d/phalanx.err" || rc=$?
  if [ "$rc" -ne 0 ]; then
    tail -20 "$d/phalanx.err" >&2
    die "$name: phalanx replay failed (exit $rc)"
  fi
  log "$name: phalanx side took $(($(date +%s) - t1)) s"
  echo "== $name"
  compare_files "$d/crowdsec.tsv" "$d/phalanx.jsonl" "$d/cs/loaded_scenarios.txt"
}

main() {
  case "${1:-}" in
    selftest) selftest; return ;;
    files) shift; [ $# -ge 2 ] || die "files CROWDSEC_TRIPLES PHALANX_JSONL [LOADED]"; compare_files "$@"; return ;;
    -h|--help) sed -n '4,26p' "$0" | sed 's/^# \{0,1\}//'; return ;;
  esac
  local mix=all lines="" seed=1 keep=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --mix) mix=$2; shift 2 ;;
      --lines) lines=$2; shift 2 ;;
      --seed) seed=$2; shift 2 ;;
      --hub) hub=$2; shift 2 ;;
      --keep) keep=$2; shift 2 ;;
      *) die "unknown argument $1 (see --help)" ;;
    esac
  done
  [ -f "$hub/.index.json" ] || die "no hub at $hub"
  hub=$(cd "$hub" && pwd)
  ensure_built phalanx-loggen "$loggen"
  ensure_built phalanx "$phalanx"
  local work
  if [ -n "$keep" ]; then
    work=$keep
    mkdir -p "$work"
  else
    newtmp differential work
  fi
  # The worst result wins: 2 (could not compare) over 1 (different) over 0 (same).
  local rc=0 r
  # crowdsecurity/linux is in the nginx mix too, as on every real install: its syslog-logs file
  # holds the `non-syslog` s00-raw node (message and program of a non-syslog source) and it
  # brings dateparse-enrich. Without it no nginx line gets past s00-raw, on either side.
  # shellcheck disable=SC2206 # word splitting of the lists is intended
  local ssh_cols=(${SSH_COLLECTIONS:-crowdsecurity/sshd crowdsecurity/linux})
  # shellcheck disable=SC2206
  local nginx_cols=(${NGINX_COLLECTIONS:-crowdsecurity/nginx crowdsecurity/base-http-scenarios crowdsecurity/http-cve crowdsecurity/linux})
  case "$mix" in ssh|all)
    r=0; run_mix ssh ssh syslog "${lines:-5000}" "$seed" "$work" "${ssh_cols[@]}" || r=$?
    [ "$r" -le "$rc" ] || rc=$r ;;
  esac
  case "$mix" in nginx|all)
    r=0; run_mix nginx nginx nginx "${lines:-2000}" "$seed" "$work" "${nginx_cols[@]}" || r=$?
    [ "$r" -le "$rc" ] || rc=$r ;;
  esac
  case "$mix" in ssh|nginx|all) ;; *) die "--mix is ssh, nginx or all" ;; esac
  [ -z "$keep" ] || log "kept everything in $work"
  return "$rc"
}

main "$@"
