#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# phalanx-nft figures (bench/RESULTS.md). Everything runs in network namespaces made here (or by
# nft_bench itself); the host's ruleset is never touched. Needs root.
#   1. nft_bench: V4 addresses + RANGES ranges through NftBackend: first load, restart,
#      DELTA adds + deletes, repair after the table is deleted (RUNS runs, medians), then the
#      same load fed in 50k batches to show the bouncer's own peak RSS
#   2. reference: `nft -f` of the same V4 addresses into a timeout hash set (one transaction)
#   3. packet_bench --mode paired: ns/packet with the source banned among V4 entries, the XDP
#      program, phalanx-nft's chain and a minimal nft rule alternated round by round (PKT_RUNS
#      rounds of PKT_SECONDS each), same sender
#   V4 (1000000), RANGES (10000), DELTA (1000), RUNS (3), PKT_RUNS (10), PKT_SECONDS (2)
#   VERIFY=1: after the last repair, dump the sets and compare every element (slow: 20-60 s)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
V4=${V4:-1000000}
cmake -S . -B "$build" >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target nft_bench nft_packet_bench >/dev/null
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), load: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "## nft_bench"
"./$build/bench/nft/nft_bench" --v4 "$V4" --ranges "${RANGES:-10000}" --delta "${DELTA:-1000}" \
  --runs "${RUNS:-3}" ${VERIFY:+--verify} 2>/dev/null
"./$build/bench/nft/nft_bench" --v4 "$V4" --ranges "${RANGES:-10000}" --stream 2>/dev/null

NSA=phx-nft-ba-$$
NSB=phx-nft-bb-$$
WORK=$(mktemp -d /tmp/phx-nft-bench.XXXXXX)
cleanup() {
  ip netns del "$NSA" 2>/dev/null || true
  ip netns del "$NSB" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "## reference: nft -f, $V4 addresses into a timeout hash set, one transaction"
python3 - "$V4" >"$WORK/load.nft" <<'PY'
import random, sys
n = int(sys.argv[1]); random.seed(1); seen = set()
while len(seen) < n:
    seen.add(random.randrange(0x01000000, 0xE0000000))
print("add table inet ref\nadd set inet ref s { type ipv4_addr; flags timeout; }")
print("add element inet ref s { " + ", ".join(
    "%d.%d.%d.%d timeout 4h" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255) for a in seen) + " }")
PY
ip netns add "$NSA"
/usr/bin/time -f "nft -f: %e s, nft max RSS %M KB" ip netns exec "$NSA" nft -f "$WORK/load.nft"
ip netns del "$NSA"

echo "## packet_bench (UDP, 60-byte frames, veth, one sender thread)"
ip netns add "$NSA"
ip netns add "$NSB"
ip link add phxbencha netns "$NSA" type veth peer name phxbenchb netns "$NSB"
ip -n "$NSA" addr add 10.220.0.1/24 dev phxbencha
ip -n "$NSB" addr add 10.220.0.2/24 dev phxbenchb
ip -n "$NSA" link set phxbencha up
ip -n "$NSB" link set phxbenchb up
ip -n "$NSA" link set lo up
ip netns exec "$NSB" ping -c 1 -W 2 10.220.0.1 >/dev/null  # neighbours resolved first
"./$build/bench/nft/nft_packet_bench" --ns-a "/run/netns/$NSA" --ns-b "/run/netns/$NSB" \
  --mode paired --ifname phxbencha --v4 "$V4" --runs "${PKT_RUNS:-10}" \
  --seconds "${PKT_SECONDS:-2}" 2>/dev/null
