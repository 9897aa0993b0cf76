#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job on the embedded defaults: installs dependencies, builds, then replays the sample
# logs shipped in examples/logs through Phalanx's own parsers and shows the result, with one
# line explained stage by stage.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
echo "== building (this takes a few minutes the first time)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"${JOBS:-2}" --target phalanx >/dev/null

phalanx=./build/userspace/cli/phalanx

echo
echo "== sshd logs (syslog): examples/logs/auth.log"
"$phalanx" replay --type syslog --file examples/logs/auth.log
echo
echo "== nginx access log: examples/logs/nginx-access.log"
"$phalanx" replay --type nginx --file examples/logs/nginx-access.log
echo
echo "== one line, stage by stage (phalanx explain)"
"$phalanx" explain --type syslog --line "$(grep -m1 'Failed password' examples/logs/auth.log)"
echo
cat <<TXT
Next:
  $phalanx explain --type nginx --file examples/logs/nginx-access.log -o json | less
  $phalanx replay --type syslog --file /var/log/auth.log
  $phalanx hubtest run --hub ../shared/hub --all     # CrowdSec hub tests against Phalanx
TXT
