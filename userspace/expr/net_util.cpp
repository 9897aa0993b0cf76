// SPDX-License-Identifier: Apache-2.0
#include "expr/net_util.h"

#include <algorithm>

namespace phalanx::expr::detail {

Result<net::Cidr> parse_go_cidr(std::string_view text) {
  if (text.find('/') == std::string_view::npos) {
    return Error("invalid CIDR address: " + std::string(text));
  }
  return net::Cidr::parse(text);
}

bool cidr_contains(const net::Cidr& cidr, const net::IpAddress& addr) {
  if (cidr.is_v4() != addr.is_v4()) return false;
  net::Uint128 x = addr.to_uint128();
  return x >= cidr.first() && x <= cidr.last();
}

void CidrTable::add(const net::Cidr& cidr) {
  (cidr.is_v4() ? v4_ : v6_).push_back({cidr.first(), cidr.last()});
}

void CidrTable::merge(std::vector<Interval>& v) {
  std::sort(v.begin(), v.end(),
            [](const Interval& a, const Interval& b) { return a.first < b.first; });
  std::vector<Interval> out;
  for (const Interval& i : v) {
    if (!out.empty() && (i.first <= out.back().last ||
                         (out.back().last != ~net::Uint128{0} && i.first == out.back().last + 1))) {
      out.back().last = std::max(out.back().last, i.last);
    } else {
      out.push_back(i);
    }
  }
  v = std::move(out);
}

void CidrTable::finish() {
  merge(v4_);
  merge(v6_);
}

bool CidrTable::lookup(const std::vector<Interval>& v, net::Uint128 x) {
  // The last interval starting at or before x is the only candidate (intervals are disjoint).
  auto it = std::upper_bound(v.begin(), v.end(), x,
                             [](net::Uint128 value, const Interval& i) { return value < i.first; });
  if (it == v.begin()) return false;
  return x <= std::prev(it)->last;
}

bool CidrTable::contains(const net::IpAddress& addr) const {
  return lookup(addr.is_v4() ? v4_ : v6_, addr.to_uint128());
}

}  // namespace phalanx::expr::detail
