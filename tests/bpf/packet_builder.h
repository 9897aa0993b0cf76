// SPDX-License-Identifier: Apache-2.0
// Hand-built Ethernet frames for the XDP program tests: each layer writes the previous layer's
// "next protocol" field, so Frame().eth().vlan(0x8100, 10).ipv4("192.0.2.1").udp() is a valid
// tagged UDP/IPv4 frame. Addresses are given as text; a bad literal aborts the test binary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace phalanx::xdp::test {

inline constexpr uint16_t kTpid8021Q = 0x8100;
inline constexpr uint16_t kTpid8021AD = 0x88a8;

class Frame {
 public:
  Frame& eth();                                    // MACs; EtherType filled by the next layer
  Frame& vlan(uint16_t tpid, uint16_t vid);        // one tag
  Frame& ethertype(uint16_t type);                 // an arbitrary EtherType, no payload
  Frame& ipv4(std::string_view src, int ihl = 5);  // IHL > 5 appends zeroed options
  Frame& ipv4_version(std::string_view src, uint8_t version);  // header with a wrong version
  Frame& ipv6(std::string_view src);
  Frame& ipv6_ext(uint8_t type);  // an 8-byte extension header (hop-by-hop, fragment, ...)
  Frame& udp(size_t payload = 18);
  Frame& arp(std::string_view sender, std::string_view target);
  Frame& truncate(size_t size);  // keeps the first `size` bytes

  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  void set_next(uint16_t ethertype);
  void set_l4(uint8_t proto);
  std::vector<uint8_t> bytes_;
  size_t ethertype_at_ = 0;    // where the next EtherType goes (0: none pending)
  size_t next_header_at_ = 0;  // where the next IP protocol / IPv6 next header goes
};

}  // namespace phalanx::xdp::test
