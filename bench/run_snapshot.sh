#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Startup snapshot figures (bench/RESULTS.md): phalanx-nft and phalanx-xdp started against a
# phalanxd that holds N Ip decisions, each run a first start (new table, new maps). For every
# run: load time (process start to the bouncer's "resync: ... in force" log line, so it includes
# setup, the GET /v1/decisions/stream?startup=true download, the parse and the enforcement) and
# peak RSS (VmHWM read once the resync is logged) and CPU time (user + system of every thread up
# to then; on this shared VM wall time depends on the other tenants, CPU time much less). With OLD set, a reference build's binaries
# run beside this build's, alternating run by run. Everything runs in a network namespace made
# here (phalanxd on its 127.0.0.1, a veth pair for XDP); it is removed at the end. Needs root.
#   N (1000000)  RUNS (3)  BUILD_DIR (build)
#   OLD          directory holding reference phalanx-nft and phalanx-xdp binaries (optional)
#   PHALANXD, LAPI_BENCH   defaults: $BUILD_DIR/userspace/daemon/phalanxd, .../lapi_bench
#   KINDS ("nft xdp")
#   MODE (first): "restart" times starts over the state a previous start left instead (nft: the
#   table, replaced in one transaction; XDP: the pinned maps, diffed against the snapshot): per
#   binary one untimed start, then RUNS timed restarts, then the state is removed
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
build=${BUILD_DIR:-build}
n=${N:-1000000}
runs=${RUNS:-3}
kinds=${KINDS:-nft xdp}
phalanxd=$(realpath "${PHALANXD:-$build/userspace/daemon/phalanxd}")
lapi_bench=$(realpath "${LAPI_BENCH:-$build/bench/lapi/lapi_bench}")
declare -A bins
bins[new-nft]=$(realpath "$build/bouncer-nft/phalanx-nft")
bins[new-xdp]=$(realpath "$build/bouncer-xdp/phalanx-xdp")
builds="new"
if [ -n "${OLD:-}" ]; then
  bins[old-nft]=$(realpath "$OLD/phalanx-nft")
  bins[old-xdp]=$(realpath "$OLD/phalanx-xdp")
  builds="old new"
fi
for b in "$phalanxd" "$lapi_bench" "${bins[@]}"; do
  [ -x "$b" ] || { echo "missing $b (build it first)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "needs root (network namespace, nftables, bpf)" >&2; exit 77; }

NS=phx-snap-$$
WORK=$(mktemp -d /tmp/phx-snapshot.XXXXXX)
PIN=/sys/fs/bpf/phx-snap-$$
cleanup() {
  stop_phalanxd
  rm -rf "$PIN"
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), load: $(cut -d' ' -f1-3 /proc/loadavg)"
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add phxsnapa type veth peer name phxsnapb
ip -n "$NS" link set phxsnapa up
ip -n "$NS" link set phxsnapb up

echo "seeding $n decisions"
key=$("$lapi_bench" seed "sqlite://$WORK/phalanx.db" "$n")
start_phalanxd "$phalanxd" "$WORK" ip netns exec "$NS"
# One pull first, so that every bouncer run meets a warm LAPI.
ip netns exec "$NS" curl -s -o "$WORK/body" -w 'startup body: %{size_download} bytes in %{time_total} s\n' \
  -H "X-Api-Key: $key" "http://127.0.0.1:$port/v1/decisions/stream?startup=true"
rm -f "$WORK/body"

cat >"$WORK/nft.yaml" <<YAML
api_url: http://127.0.0.1:$port/
api_key: $key
update_frequency: 1h
push_wait: 0s
flush_on_stop: $([ "${MODE:-first}" = restart ] && echo false || echo true)
YAML
cat >"$WORK/xdp.yaml" <<YAML
api_url: http://127.0.0.1:$port/
api_key: $key
update_frequency: 1h
push_wait: 0s
interfaces: [phxsnapa]
pin_dir: $PIN
YAML

# clean KIND BIN: removes what a start left (table, or program and pinned maps).
clean() {
  if [ "$1" = xdp ]; then
    ip netns exec "$NS" "$2" -c "$WORK/xdp.yaml" --detach >>"$WORK/detach.log" 2>&1 || true
    rm -rf "$PIN"
  else
    ip netns exec "$NS" nft delete table inet phalanx 2>/dev/null || true
  fi
}

# run_one NAME BIN KIND [keep]: prints "NAME load_ms hwm_kb count cpu_ms"; with keep, leaves the
# state for the next start.
run_one() {
  local name=$1 bin=$2 kind=$3 keep=${4:-} log="$WORK/$1.log" pid t0 t1 line hwm count cpu
  : >"$log"
  t0=$(date +%s%N)
  ip netns exec "$NS" "$bin" -c "$WORK/$kind.yaml" >"$log" 2>&1 &
  pid=$!
  line=
  for _ in $(seq 1 3000); do
    line=$(grep -m1 'in force' "$log" || true)
    [ -n "$line" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  if [ -z "$line" ]; then
    echo "$name: no resync logged" >&2
    cat "$log" >&2
    kill "$pid" 2>/dev/null || true
    return 1
  fi
  hwm=$(awk '/VmHWM/{print $2}' "/proc/$pid/status")
  cpu=$(awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$pid/stat")
  t1=$(date -d "${line%% *}" +%s%N)
  count=$(sed -n 's/.*resync: \([0-9]*\) .*/\1/p' <<<"$line")
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  [ -n "$keep" ] || clean "$kind" "$bin"
  echo "$name $(((t1 - t0) / 1000000)) $hwm $count $cpu"
}


results="$WORK/results"
: >"$results"
if [ "${MODE:-first}" = restart ]; then
  for kind in $kinds; do
    for b in $builds; do
      clean "$kind" "${bins[$b-$kind]}"
      run_one "$b-$kind" "${bins[$b-$kind]}" "$kind" keep >/dev/null
      for r in $(seq 1 "$runs"); do
        out=$(run_one "$b-$kind" "${bins[$b-$kind]}" "$kind" keep)
        echo "restart $r: $out"
        echo "$out" >>"$results"
      done
      clean "$kind" "${bins[$b-$kind]}"
    done
  done
else
  for r in $(seq 1 "$runs"); do
    for kind in $kinds; do
      for b in $builds; do
        out=$(run_one "$b-$kind" "${bins[$b-$kind]}" "$kind")
        echo "run $r: $out"
        echo "$out" >>"$results"
      done
    done
  done
fi

echo "## ${MODE:-first} starts: medians of $runs runs ($n decisions)"
printf '%-8s %12s %14s %10s %10s\n' bouncer "load (ms)" "peak RSS (MB)" "CPU (ms)" "in force"
for kind in $kinds; do
  for b in $builds; do
    ms=$(awk -v k="$b-$kind" '$1==k {print $2}' "$results" | median)
    kb=$(awk -v k="$b-$kind" '$1==k {print $3}' "$results" | median)
    cnt=$(awk -v k="$b-$kind" '$1==k {print $4}' "$results" | median)
    cpu=$(awk -v k="$b-$kind" '$1==k {print $5}' "$results" | median)
    printf '%-8s %12s %14.1f %10s %10s\n' "$b-$kind" "$ms" "$(echo "$kb / 1024" | bc -l)" "$cpu" \
      "$cnt"
  done
done
