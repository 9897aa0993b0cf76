#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Per-packet cost of the XDP blocklist with BPF_PROG_TEST_RUN (no interface, no traffic): the
# parse-only floor, miss and hit paths hot (one source) and cold (random sources), with and
# without the prefilter, and the map load times. Needs root (bpf()).
#   V4 (default 1000000), V6 (100000), RANGES4 (10000), RANGES6 (1000), REPEAT (10000000),
#   RUNS (5), SEED (1), BUILD_DIR (build-bench-xdp), HOT_ONLY (set: only the cache-hot rows)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-bench-xdp}
# RelWithDebInfo (the default): the timed code is the BPF program, and core does not build at
# -O3 with g++ 12 (-Wrestrict false positive in core/yaml.cpp).
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPHALANX_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target xdp_bench >/dev/null
exec "./$build/bench/xdp/xdp_bench" \
  --v4 "${V4:-1000000}" --v6 "${V6:-100000}" \
  --ranges4 "${RANGES4:-10000}" --ranges6 "${RANGES6:-1000}" \
  --repeat "${REPEAT:-10000000}" --runs "${RUNS:-5}" --seed "${SEED:-1}" \
  ${HOT_ONLY:+--hot-only}
