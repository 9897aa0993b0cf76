// SPDX-License-Identifier: Apache-2.0
// Internal: Go's net.ParseCIDR / IPNet.Contains on top of core/net.h, and a table of CIDRs for
// "is this address in any of these ranges" in O(log n).
#pragma once

#include <string_view>
#include <vector>

#include "core/net.h"
#include "core/result.h"

namespace phalanx::expr::detail {

// net.ParseCIDR: the prefix length is mandatory ("10.0.0.0/8"); a bare address is an error.
Result<net::Cidr> parse_go_cidr(std::string_view text);
// IPNet.Contains: families must agree (IPv4-mapped addresses count as IPv4).
bool cidr_contains(const net::Cidr& cidr, const net::IpAddress& addr);

// Merged, sorted intervals per family.
class CidrTable {
 public:
  void add(const net::Cidr& cidr);
  // Sorts and merges; call once after the last add().
  void finish();
  bool contains(const net::IpAddress& addr) const;
  bool empty() const { return v4_.empty() && v6_.empty(); }

 private:
  struct Interval {
    net::Uint128 first, last;
  };
  static void merge(std::vector<Interval>& v);
  static bool lookup(const std::vector<Interval>& v, net::Uint128 x);
  std::vector<Interval> v4_, v6_;
};

}  // namespace phalanx::expr::detail
