#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs dependencies, builds Phalanx, and runs every test:
#   1. the full build (RelWithDebInfo) and all ctest labels (unit, golden, hub);
#   2. the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. the libFuzzer targets for a short, bounded run each (clang).
# Environment: PHALANX_HUB_DIR (default ../shared/hub) for the hub-compatibility tests, which
# skip with a message when it is absent; JOBS (default 2); PHALANX_FUZZ_SECONDS (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${JOBS:-2}

./scripts/install-deps.sh

export PHALANX_HUB_DIR=${PHALANX_HUB_DIR:-$root/../shared/hub}
if [ ! -d "$PHALANX_HUB_DIR" ]; then
  echo "test: hub content not found at $PHALANX_HUB_DIR; hub tests will be skipped"
fi

echo "== build (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"

echo "== build (ASan+UBSan, unit tests)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPHALANX_SANITIZE=ON -DPHALANX_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs"

echo "== build (libFuzzer targets, clang)"
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPHALANX_BUILD_FUZZ=ON -DPHALANX_BUILD_TESTS=OFF \
  -DPHALANX_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$jobs" --target phalanx_fuzzers

echo "== fuzz (bounded runs)"
fuzz_seconds=${PHALANX_FUZZ_SECONDS:-20}
for fuzzer in build-fuzz/tests/fuzz/*_fuzz; do
  [ -x "$fuzzer" ] || continue
  corpus=$(mktemp -d)
  seeds="tests/fuzz/corpus/$(basename "$fuzzer")"
  [ -d "$seeds" ] && cp "$seeds"/* "$corpus"/ 2>/dev/null || true
  echo "fuzz: $(basename "$fuzzer") for ${fuzz_seconds}s"
  "$fuzzer" -max_total_time="$fuzz_seconds" -max_len=4096 -rss_limit_mb=2048 "$corpus" \
    >"$corpus.log" 2>&1 || { tail -50 "$corpus.log"; exit 1; }
  grep -E '^(Done|#[0-9]+ +DONE)' "$corpus.log" | tail -1 || true
  rm -rf "$corpus" "$corpus.log"
done

echo "== tests under ASan+UBSan (label unit)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -L unit -j"$jobs" --output-on-failure --timeout 300

# The hub summary line, for the record (the hub label's test enforces the floor). Printed before
# ctest so that ctest's own summary closes the run.
if [ -d "$PHALANX_HUB_DIR" ]; then
  echo "== hub tests through phalanx hubtest (year pinned to the snapshot's 2026)"
  ./build/userspace/cli/phalanx hubtest run --hub "$PHALANX_HUB_DIR" --all --year 2026 |
    grep -E '^(fail|error)|^hubtest:' || true
fi

echo "== all tests (labels: $(ctest --test-dir build --print-labels | sed -n 's/^  //p' | tr '\n' ' '))"
ctest --test-dir build -j"$jobs" --output-on-failure --timeout 600
