// SPDX-License-Identifier: Apache-2.0
// IPv4/IPv6 addresses and CIDR ranges: parsing, formatting, containment, and ranges as
// 128-bit integer intervals (IPv4 addresses are kept as IPv4-mapped IPv6 internally, so one
// integer space covers both families while the family is remembered for formatting).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace phalanx::net {

using Uint128 = unsigned __int128;

class IpAddress {
 public:
  IpAddress() = default;

  // Parses dotted IPv4 ("192.0.2.1") or any RFC 4291 IPv6 text form ("2001:db8::1",
  // "::ffff:192.0.2.1"). Zone suffixes ("%eth0") and surrounding spaces are rejected.
  static Result<IpAddress> parse(std::string_view text);
  static IpAddress from_v4(uint32_t host_order);
  static IpAddress from_v6(const std::array<uint8_t, 16>& bytes);

  bool is_v4() const { return v4_; }
  bool is_v6() const { return !v4_; }
  // The address as a 128-bit integer: IPv4 as ::ffff:a.b.c.d, IPv6 as is.
  Uint128 to_uint128() const;
  static IpAddress from_uint128(Uint128 value, bool v4);
  uint32_t v4_host_order() const;                                  // only meaningful when is_v4()
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }  // network order, v4-mapped
  bool is_loopback() const;
  bool is_private() const;  // RFC 1918, RFC 4193 (fc00::/7), link-local, loopback

  // Canonical text: dotted quad for IPv4, RFC 5952 for IPv6 (as Go's net.IP.String()).
  std::string to_string() const;

  auto operator<=>(const IpAddress&) const = default;
  // Two 64-bit compares; the defaulted one called memcmp for the 16 bytes.
  bool operator==(const IpAddress& other) const {
    uint64_t a[2];
    uint64_t b[2];
    std::memcpy(a, bytes_.data(), sizeof a);
    std::memcpy(b, other.bytes_.data(), sizeof b);
    return a[0] == b[0] && a[1] == b[1] && v4_ == other.v4_;
  }

 private:
  std::array<uint8_t, 16> bytes_{};
  bool v4_ = true;
};

class Cidr {
 public:
  Cidr() = default;
  // "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). Host bits are cleared
  // ("10.1.2.3/8" is 10.0.0.0/8), as Go's net.ParseCIDR does for the network.
  static Result<Cidr> parse(std::string_view text);
  static Cidr host(const IpAddress& addr) { return Cidr(addr, addr.is_v4() ? 32 : 128); }
  Cidr(const IpAddress& addr, int prefix_len);

  const IpAddress& network() const { return network_; }
  int prefix_len() const { return prefix_len_; }  // in the family's own bits (v4: 0..32)
  bool is_v4() const { return network_.is_v4(); }
  bool contains(const IpAddress& addr) const;
  bool contains(const Cidr& other) const;
  // First and last address as integers (v4 in the mapped space), inclusive.
  Uint128 first() const;
  Uint128 last() const;
  std::string to_string() const;

  auto operator<=>(const Cidr&) const = default;

 private:
  IpAddress network_;
  int prefix_len_ = 0;
};

// The addresses configured on this host's interfaces (getifaddrs), each as a host CIDR; empty
// when they cannot be read.
std::vector<Cidr> host_addresses();

}  // namespace phalanx::net
