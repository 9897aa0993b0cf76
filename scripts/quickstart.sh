#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job on the embedded defaults, live: installs dependencies, builds, then runs the
# demonstration of scripts/demo.sh in throwaway network namespaces — phalanxd (SQLite,
# defaults) following logs, phalanx-xdp on a veth pair, an SSH brute force and an HTTP scan
# played from an "attacker" namespace, the alerts, the decisions, and the attackers' packets
# dropped while a benign client's still flow — and cleans up. Needs root (apt-get, namespaces,
# XDP).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
echo "== building (this takes a few minutes the first time)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"${JOBS:-2}" --target phalanxd phalanx phalanx-xdp >/dev/null

./scripts/demo.sh --build-dir build
cat <<TXT

Without root or namespaces, the same detection on files:
  ./build/userspace/cli/phalanx replay --type syslog --file examples/logs/auth.log
  ./build/userspace/cli/phalanx explain --type syslog --line "\$(grep -m1 'Failed password' examples/logs/auth.log)"
TXT
