// SPDX-License-Identifier: Apache-2.0
#include "bench_data.h"

#include <fmt/core.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <unordered_set>

#include "bouncer-xdp/keys.h"

namespace phalanx::xdp::bench {
namespace {

std::string v4_string(uint32_t host) {
  return fmt::format("{}.{}.{}.{}", host >> 24, (host >> 16) & 0xff, (host >> 8) & 0xff,
                     host & 0xff);
}

// A random unicast IPv4 address (host order) in 1.0.0.0-223.255.255.255, outside 10.0.0.0/8.
uint32_t random_v4(std::mt19937_64& rng) {
  for (;;) {
    const auto a = static_cast<uint32_t>(rng());
    if (a >= 0x01000000 && a < 0xe0000000 && (a >> 24) != 10) return a;
  }
}

// A random address in 2001::/16 outside 2001:db8::/32, host bits beyond keep_bits cleared.
std::string random_v6(std::mt19937_64& rng, int keep_bits) {
  std::array<uint8_t, 16> b{};
  const uint64_t hi = rng(), lo = rng();
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    b[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  }
  b[0] = 0x20;
  b[1] = 0x01;
  if (b[2] == 0x0d && b[3] == 0xb8) b[2] = 0x0e;
  for (int bit = keep_bits; bit < 128; ++bit)
    b[bit / 8] &= static_cast<uint8_t>(~(0x80U >> (bit % 8)));
  return net::IpAddress::from_v6(b).to_string();
}

// Generated text always parses; anything else is a bug in this file.
net::Cidr must_parse(const std::string& text) {
  auto c = net::Cidr::parse(text);
  if (!c) {
    std::fprintf(stderr, "xdp_bench: bad generated cidr %s\n", text.c_str());
    std::abort();
  }
  return *c;
}

void add_exact(Dataset& d, const DataSize& size, std::mt19937_64& rng) {
  const phx_entry value = make_entry(PHX_ORIGIN_CAPI, PHX_EXPIRY_NEVER);
  std::unordered_set<uint32_t> seen;
  std::unordered_set<uint32_t> slash16;
  while (d.v4.size() + d.delta.size() < size.v4 + size.delta) {
    const uint32_t a = random_v4(rng);
    if (!seen.insert(a).second) continue;
    if (d.v4.size() < size.v4) {
      d.v4.push_back({must_parse(v4_string(a)), value});
      d.v4_keys.push_back(v4_key(d.v4.back().target.network()).addr);
      slash16.insert(a >> 16);
    } else {
      d.delta.push_back({must_parse(v4_string(a)), value});
    }
  }
  d.v4_slash16_coverage = static_cast<double>(slash16.size()) / 65536.0;
  for (uint32_t i = 0; i < size.v6; ++i)
    d.v6.push_back({must_parse(random_v6(rng, 128)), value});
}

void add_ranges(Dataset& d, const DataSize& size, std::mt19937_64& rng) {
  const phx_entry value = make_entry(PHX_ORIGIN_LISTS, PHX_EXPIRY_NEVER);
  for (uint32_t i = 0; i < size.ranges4; ++i) {
    const int len = 18 + static_cast<int>(rng() % 11);
    const uint32_t base = random_v4(rng) & ~((uint32_t{1} << (32 - len)) - 1);
    d.ranges.push_back({must_parse(fmt::format("{}/{}", v4_string(base), len)), value});
  }
  for (uint32_t i = 0; i < size.ranges6; ++i) {
    const int len = 48 + static_cast<int>(rng() % 17);
    d.ranges.push_back({must_parse(fmt::format("{}/{}", random_v6(rng, len), len)), value});
  }
}

}  // namespace

Dataset make_dataset(const DataSize& size) {
  std::mt19937_64 rng(size.seed);
  Dataset d;
  add_exact(d, size, rng);
  add_ranges(d, size, rng);
  d.hit4 = d.v4.empty() ? kMiss4 : d.v4.front().target.network().to_string();
  d.hit6 = d.v6.empty() ? kMiss6 : d.v6.front().target.network().to_string();
  d.range_hit4 =
      size.ranges4 == 0 ? kMiss4 : v4_string(d.ranges.front().target.network().v4_host_order() + 1);
  d.range_hit6 = size.ranges6 == 0 ? kMiss6 : d.ranges[size.ranges4].target.network().to_string();
  return d;
}

std::vector<uint8_t> frame(const std::string& src) {
  const net::IpAddress addr = must_parse(src).network();
  std::vector<uint8_t> f(14, 0);
  f[0] = 0x02;
  f[6] = 0x02;
  if (addr.is_v4()) {
    f[12] = 0x08;
    f.resize(64, 0);
    f[14] = 0x45;  // version 4, IHL 5
    f[22] = 64;    // TTL
    f[23] = 17;    // UDP
    std::memcpy(&f[26], addr.bytes().data() + 12, 4);
  } else {
    f[12] = 0x86;
    f[13] = 0xdd;
    f.resize(86, 0);
    f[14] = 0x60;  // version 6
    f[20] = 17;    // next header UDP
    f[21] = 64;    // hop limit
    std::memcpy(&f[22], addr.bytes().data(), 16);
  }
  return f;
}

}  // namespace phalanx::xdp::bench
