#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Replay before/after: `phalanx replay` of OLD_REF (built from `git archive` in its own
# directory) and of the working tree, in turn on the same generated ssh and nginx files with
# the collections of bench/run_replay.sh, one worker (WORKERS), RUNS rounds, old then new in
# each so that load from elsewhere on the machine hits both alike. Prints every run and then
# each mix's median lines/s per build and new/old. The alerts of both builds are compared; a
# difference is printed and fails the script.
# Env: OLD_REF (required), OLD_DIR (build-old), BUILD_DIR (build-bench), RUNS (7), WORKERS (1),
# LINES_SSH (200000), LINES_NGINX (100000), SEED (1), JOBS (2), PHALANX_HUB_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
old_ref=${OLD_REF:?set OLD_REF to the commit to compare with}
old_dir=${OLD_DIR:-build-old}
build=${BUILD_DIR:-build-bench}
runs=${RUNS:-7}
workers=${WORKERS:-1}
hub=${PHALANX_HUB_DIR:-$(pwd)/../shared/hub}
export TZ=UTC
[ -f "$hub/.index.json" ] || { echo "run_replay_ab: no hub at $hub (set PHALANX_HUB_DIR)" >&2; exit 2; }

# OLD_DIR is reused while it holds OLD_REF's sources (the commit is noted in OLD_DIR/.ref).
old_commit=$(git rev-parse "$old_ref^{commit}")
if [ "$(cat "$old_dir/.ref" 2>/dev/null)" != "$old_commit" ]; then
  rm -rf "$old_dir"
  mkdir -p "$old_dir"
  git archive "$old_commit" | tar -x -C "$old_dir"
  echo "$old_commit" >"$old_dir/.ref"
fi
cmake -S "$old_dir" -B "$old_dir/build" -DCMAKE_BUILD_TYPE=Release -DPHALANX_BUILD_TESTS=OFF >/dev/null
cmake --build "$old_dir/build" -j"${JOBS:-2}" --target phalanx >/dev/null
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPHALANX_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target phalanx phalanx-loggen >/dev/null
old=$old_dir/build/userspace/cli/phalanx
new=$build/userspace/cli/phalanx

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
replay_logs "$build/bench/loggen/phalanx-loggen" "$work" "${LINES_SSH:-200000}" "${LINES_NGINX:-100000}" \
  "${SEED:-1}"
ssh_args=("${replay_ssh_args[@]}")
nginx_args=("${replay_nginx_args[@]}")

# One run: prints lines/s; the alerts go to $work/<side>.<mix>.json.
run_once() {
  local exe=$1 mix=$2 side=$3 args
  if [ "$mix" = ssh ]; then args=("${ssh_args[@]}"); else args=("${nginx_args[@]}"); fi
  "$exe" replay --file "$work/$mix.log" --hub "$hub" --year 2026 --workers "$workers" -o json \
    "${args[@]}" 2>"$work/stderr" >"$work/$side.$mix.json"
  sed -n 's/.* — \([0-9]*\) lines\/s.*/\1/p' "$work/stderr" | tail -1
}

for r in $(seq "$runs"); do
  for mix in ssh nginx; do
    o=$(run_once "$old" "$mix" old); n=$(run_once "$new" "$mix" new)
    echo "$o" >>"$work/old.$mix"; echo "$n" >>"$work/new.$mix"
    echo "round $r $mix: old $o lines/s, new $n lines/s"
  done
done
status=0
for mix in ssh nginx; do
  if ! cmp -s "$work/old.$mix.json" "$work/new.$mix.json"; then
    echo "run_replay_ab: $mix alerts differ between $old_ref and the working tree" >&2
    status=1
  fi
  o=$(median <"$work/old.$mix"); n=$(median <"$work/new.$mix")
  printf "%-6s %d worker(s), median of %d: %s %s lines/s, working tree %s lines/s, ratio %.3f; alerts %d\n" \
    "$mix" "$workers" "$runs" "$old_ref" "$o" "$n" "$(awk -v a="$n" -v b="$o" 'BEGIN { print a / b }')" \
    "$(wc -l <"$work/new.$mix.json")"
done
exit "$status"
