// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/keys.h"

#include <array>
#include <cassert>
#include <cstring>

namespace phalanx::xdp {
namespace {

// IPv4 addresses are held v4-mapped: the four address bytes are the last four.
constexpr size_t kV4Offset = 12;

uint32_t v4_net(const net::IpAddress& addr) {
  assert(addr.is_v4());
  uint32_t out = 0;
  std::memcpy(&out, addr.bytes().data() + kV4Offset, sizeof(out));
  return out;
}

net::IpAddress v4_from_net(uint32_t addr) {
  std::array<uint8_t, 4> b{};
  std::memcpy(b.data(), &addr, sizeof(addr));
  return net::IpAddress::from_v4(static_cast<uint32_t>(b[0]) << 24 |
                                 static_cast<uint32_t>(b[1]) << 16 |
                                 static_cast<uint32_t>(b[2]) << 8 | b[3]);
}

net::IpAddress v6_from_words(const __u32 (&words)[4]) {
  std::array<uint8_t, 16> b{};
  std::memcpy(b.data(), words, sizeof(words));
  return net::IpAddress::from_v6(b);
}

}  // namespace

phx_v4_key v4_key(const net::IpAddress& addr) {
  return phx_v4_key{v4_net(addr)};
}

phx_v6_key v6_key(const net::IpAddress& addr) {
  assert(addr.is_v6());
  phx_v6_key key{};
  std::memcpy(key.addr, addr.bytes().data(), sizeof(key.addr));
  return key;
}

phx_lpm_v4_key lpm_v4_key(const net::Cidr& cidr) {
  return phx_lpm_v4_key{static_cast<__u32>(cidr.prefix_len()), v4_net(cidr.network())};
}

phx_lpm_v6_key lpm_v6_key(const net::Cidr& cidr) {
  phx_lpm_v6_key key{};
  key.prefixlen = static_cast<__u32>(cidr.prefix_len());
  std::memcpy(key.addr, v6_key(cidr.network()).addr, sizeof(key.addr));
  return key;
}

net::IpAddress address_of(const phx_v4_key& key) {
  return v4_from_net(key.addr);
}

net::IpAddress address_of(const phx_v6_key& key) {
  return v6_from_words(key.addr);
}

net::Cidr cidr_of(const phx_lpm_v4_key& key) {
  return net::Cidr(v4_from_net(key.addr), static_cast<int>(key.prefixlen));
}

net::Cidr cidr_of(const phx_lpm_v6_key& key) {
  return net::Cidr(v6_from_words(key.addr), static_cast<int>(key.prefixlen));
}

}  // namespace phalanx::xdp
