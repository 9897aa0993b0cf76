// SPDX-License-Identifier: Apache-2.0
#include "core/net.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <bit>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace phalanx::net {
namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool has_v4_prefix(const std::array<uint8_t, 16>& b) {
  return std::memcmp(b.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size()) == 0;
}

Uint128 mask_for(int prefix_bits_128) {
  if (prefix_bits_128 <= 0) return 0;
  if (prefix_bits_128 >= 128) return ~Uint128{0};
  return ~Uint128{0} << (128 - prefix_bits_128);
}

}  // namespace

Result<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; addresses are short, so a stack buffer suffices.
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) {
    return Error("invalid ip address '" + std::string(text) + "'");
  }
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (text.find(':') == std::string_view::npos) {
    in_addr v4{};
    if (inet_pton(AF_INET, buf, &v4) != 1) {
      return Error("invalid ip address '" + std::string(text) + "'");
    }
    return from_v4(ntohl(v4.s_addr));
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, buf, &v6) != 1) {
    return Error("invalid ip address '" + std::string(text) + "'");
  }
  std::array<uint8_t, 16> bytes;
  std::memcpy(bytes.data(), v6.s6_addr, 16);
  // Like Go's net.ParseIP, "::ffff:a.b.c.d" is the IPv4 address a.b.c.d.
  return has_v4_prefix(bytes) ? from_v4((uint32_t(bytes[12]) << 24) | (uint32_t(bytes[13]) << 16) |
                                        (uint32_t(bytes[14]) << 8) | bytes[15])
                              : from_v6(bytes);
}

IpAddress IpAddress::from_v4(uint32_t host_order) {
  IpAddress a;
  std::memcpy(a.bytes_.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size());
  a.bytes_[12] = uint8_t(host_order >> 24);
  a.bytes_[13] = uint8_t(host_order >> 16);
  a.bytes_[14] = uint8_t(host_order >> 8);
  a.bytes_[15] = uint8_t(host_order);
  a.v4_ = true;
  return a;
}

IpAddress IpAddress::from_v6(const std::array<uint8_t, 16>& bytes) {
  IpAddress a;
  a.bytes_ = bytes;
  a.v4_ = false;
  return a;
}

Uint128 IpAddress::to_uint128() const {
  // The bytes are in network order: two big-endian 64-bit halves.
  uint64_t hi = 0;
  uint64_t lo = 0;
  std::memcpy(&hi, bytes_.data(), sizeof hi);
  std::memcpy(&lo, bytes_.data() + sizeof hi, sizeof lo);
  if constexpr (std::endian::native == std::endian::little) {
    hi = __builtin_bswap64(hi);
    lo = __builtin_bswap64(lo);
  }
  return (Uint128{hi} << 64) | lo;
}

IpAddress IpAddress::from_uint128(Uint128 value, bool v4) {
  std::array<uint8_t, 16> bytes;
  for (int i = 15; i >= 0; --i) {
    bytes[i] = uint8_t(value & 0xff);
    value >>= 8;
  }
  if (v4)
    return from_v4(uint32_t(bytes[12]) << 24 | uint32_t(bytes[13]) << 16 |
                   uint32_t(bytes[14]) << 8 | bytes[15]);
  return from_v6(bytes);
}

uint32_t IpAddress::v4_host_order() const {
  return uint32_t(bytes_[12]) << 24 | uint32_t(bytes_[13]) << 16 | uint32_t(bytes_[14]) << 8 |
         bytes_[15];
}

bool IpAddress::is_loopback() const {
  if (v4_) return bytes_[12] == 127;
  static const std::array<uint8_t, 16> kLoopback6 = {0, 0, 0, 0, 0, 0, 0, 0,
                                                     0, 0, 0, 0, 0, 0, 0, 1};
  return bytes_ == kLoopback6;
}

bool IpAddress::is_private() const {
  if (is_loopback()) return true;
  if (v4_) {
    const uint8_t a = bytes_[12], b = bytes_[13];
    return a == 10 || (a == 172 && (b & 0xf0) == 16) || (a == 192 && b == 168) ||
           (a == 169 && b == 254);
  }
  return (bytes_[0] & 0xfe) == 0xfc || (bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80);
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (v4_) {
    in_addr v4{htonl(v4_host_order())};
    inet_ntop(AF_INET, &v4, buf, sizeof(buf));
    return buf;
  }
  // RFC 5952 as Go prints it: the longest run (leftmost on ties) of two or more zero groups
  // becomes "::", groups in lowercase hex; never the dotted tail glibc uses for ::a.b.c.d.
  uint16_t groups[8];
  for (int i = 0; i < 8; ++i)
    groups[i] = uint16_t(bytes_[2 * i] << 8 | bytes_[2 * i + 1]);
  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0)
      ++j;
    if (j - i > best_len && j - i >= 2) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    char hex[8];
    std::snprintf(hex, sizeof(hex), "%x", groups[i]);
    out += hex;
  }
  return out;
}

Cidr::Cidr(const IpAddress& addr, int prefix_len) : prefix_len_(prefix_len) {
  const int max = addr.is_v4() ? 32 : 128;
  if (prefix_len_ < 0) prefix_len_ = 0;
  if (prefix_len_ > max) prefix_len_ = max;
  const int bits128 = prefix_len_ + (addr.is_v4() ? 96 : 0);
  network_ = IpAddress::from_uint128(addr.to_uint128() & mask_for(bits128), addr.is_v4());
}

Result<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  PHALANX_TRY(auto addr, IpAddress::parse(text.substr(0, slash)));
  if (slash == std::string_view::npos) return host(addr);
  const std::string_view len_text = text.substr(slash + 1);
  int len = -1;
  auto [ptr, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  const int max = addr.is_v4() ? 32 : 128;
  if (ec != std::errc() || ptr != len_text.data() + len_text.size() || len_text.empty() ||
      len < 0 || len > max) {
    return Error("invalid cidr '" + std::string(text) + "': bad prefix length");
  }
  return Cidr(addr, len);
}

bool Cidr::contains(const IpAddress& addr) const {
  if (addr.is_v4() != network_.is_v4()) return false;
  // network_ has no host bits (the constructor masks them).
  const int bits128 = prefix_len_ + (network_.is_v4() ? 96 : 0);
  return (addr.to_uint128() & mask_for(bits128)) == first();
}

bool Cidr::contains(const Cidr& other) const {
  return other.is_v4() == is_v4() && other.prefix_len_ >= prefix_len_ && contains(other.network_);
}

Uint128 Cidr::first() const {
  return network_.to_uint128();
}

Uint128 Cidr::last() const {
  const int bits128 = prefix_len_ + (network_.is_v4() ? 96 : 0);
  return first() | ~mask_for(bits128);
}

std::string Cidr::to_string() const {
  return network_.to_string() + "/" + std::to_string(prefix_len_);
}

std::vector<Cidr> host_addresses() {
  std::vector<Cidr> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
    if (a->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      out.push_back(Cidr::host(IpAddress::from_v4(ntohl(sin->sin_addr.s_addr))));
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      std::array<uint8_t, 16> b{};
      std::memcpy(b.data(), &sin6->sin6_addr, 16);
      out.push_back(Cidr::host(IpAddress::from_v6(b)));
    }
  }
  freeifaddrs(list);
  return out;
}

}  // namespace phalanx::net
