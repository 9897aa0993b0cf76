// SPDX-License-Identifier: Apache-2.0
// Deterministic benchmark data for xdp_bench: random bans (seeded), sources known to hit or miss
// them, and 64-byte test frames.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bouncer-xdp/blocklist_maps.h"

namespace phalanx::xdp::bench {

// The benchmarks stop at the first error: they measure, they do not recover.
[[noreturn]] inline void die(const std::string& message) {
  std::fprintf(stderr, "xdp bench: %s\n", message.c_str());
  std::exit(1);
}

template <class T>
T must(Result<T> r) {
  if (!r) die(r.error().message());
  return std::move(*r);
}

inline void must(Result<void> r) {
  if (!r) die(r.error().message());
}

// Wall-clock seconds fn() takes.
template <class F>
double seconds_of(F&& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct DataSize {
  uint32_t v4 = 1'000'000;
  uint32_t v6 = 100'000;
  uint32_t ranges4 = 10'000;
  uint32_t ranges6 = 1'000;
  uint32_t delta = 1'000;  // extra IPv4 bans for the "delta" load time
  uint64_t seed = 1;
};

// 10.0.0.0/8 and 2001:db8::/32 are never banned, so these always miss.
inline constexpr const char* kMiss4 = "10.255.0.1";
inline constexpr const char* kMiss6 = "2001:db8:dead::1";

struct Dataset {
  std::vector<BanRequest> v4, v6, ranges, delta;
  std::vector<uint32_t> v4_keys;  // network order, for random hits
  std::string hit4, range_hit4, hit6, range_hit6;
  double v4_slash16_coverage = 0;  // share of /16s holding a ban (for the prefilter choice)
};

// IPv4 bans are unicast in 1.0.0.0-223.255.255.255; IPv6 in 2001::/16; ranges are IPv4
// /18-/28 and IPv6 /48-/64, as blocklists carry them. Same seed, same data.
Dataset make_dataset(const DataSize& size);

// Ethernet + IPv4 + UDP (64 bytes) or Ethernet + IPv6 + UDP (86 bytes) from `src`.
std::vector<uint8_t> frame(const std::string& src);

}  // namespace phalanx::xdp::bench
