# SPDX-License-Identifier: Apache-2.0
# Shared by the integration scripts (sourced): TAP-style checks, skipping, polling, and running
# commands in the test's two network namespaces ($NSA, $NSB, set by the script).

FAILED=0
N=0

# skip REASON...: exit 77, which ctest reports as skipped, with the reason printed.
skip() {
  echo "SKIP: $*"
  exit 77
}

# check "description" command...: runs the command and prints "ok N" or "not ok N".
check() {
  local what=$1
  shift
  N=$((N + 1))
  if "$@"; then
    echo "ok $N - $what"
  else
    echo "not ok $N - $what"
    FAILED=$((FAILED + 1))
  fi
}

# eventually SECONDS command...: retries the command every 0.2 s until it succeeds or time runs
# out.
eventually() {
  local deadline=$(($(date +%s) + $1))
  shift
  while ! "$@"; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

A() { nsenter --net="/run/netns/$NSA" "$@"; }
B() { nsenter --net="/run/netns/$NSB" "$@"; }
