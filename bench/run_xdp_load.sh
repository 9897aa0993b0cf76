#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# LAPI decisions into the XDP maps through the bouncer's backend (XdpBackend): parse of the
# stream body, resync into empty maps (first start) and over a full state (restart), deltas, the
# expiry sweep. Needs root (bpf()).
#   V4 (default 1000000), V6 (0), RANGES4 (0), DELTA (1000), RUNS (5), BUILD_DIR (build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
cmake -S . -B "$build" >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target xdp_load_bench >/dev/null
exec "./$build/bench/xdp/xdp_load_bench" --v4 "${V4:-1000000}" --v6 "${V6:-0}" \
  --ranges4 "${RANGES4:-0}" --delta "${DELTA:-1000}" --runs "${RUNS:-5}"
