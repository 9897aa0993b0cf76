#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every build, test and benchmark dependency of Phalanx from Debian's packages.
# Idempotent: packages already present are left alone, and apt is only asked when one is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
  # detection engine
  libre2-dev libpcre2-dev libyaml-cpp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev
  libmaxminddb-dev libpugixml-dev libssl-dev
  # XDP program (bpf/) and its userspace side
  bpftool libbpf-dev libelf-dev zlib1g-dev linux-libc-dev libxdp-dev xdp-tools
  # Local API storage: SQLite (embedded default) and PostgreSQL (several LAPIs on one database);
  # the postgresql server runs the storage conformance tests (scripts/with-postgres.sh)
  libsqlite3-dev libpq-dev postgresql
  # journald acquisition source (phalanxd follows the systemd journal through sd_journal)
  libsystemd-dev
  # journald source tests write real journal files from the export format
  systemd-journal-remote
  # Local API server (phalanxd): Boost.Beast/Asio, header-only, for an asynchronous HTTP/1.1 +
  # TLS server; zlib (listed above) inflates gzip request bodies
  libboost1.81-dev
  # bouncers: LAPI decision-stream client (HTTP/HTTPS)
  libcpp-httplib-dev openssl libsimdjson-dev
  # nftables bouncer (bouncer-nft/): netlink batches to nf_tables; nft for its tests and `nft -f`
  libnftnl-dev libmnl-dev nftables
  # its mirror of a million decisions: a compact hash map (values in one array, 8-byte buckets)
  libtsl-ordered-map-dev
  # tests and benchmarks (the netns end-to-end test pings, probes the LAPI with curl)
  iputils-ping curl
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  # Local API benchmarks (bench/run_lapi.sh, bench/run_lapi_crowdsec.sh): HTTP load
  wrk
  # differential check and replay benchmark beside CrowdSec (tests/differential, bench/)
  python3 python3-yaml time util-linux iproute2 procps
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
