// SPDX-License-Identifier: Apache-2.0
// Range decisions as the kernel's interval sets need them. An nftables interval set refuses
// overlapping intervals, while decisions overlap freely (10.0.0.0/8 for 1h, 10.1.0.0/16 for 4h).
// merge_ranges() cuts the union into disjoint segments, each carrying the latest expiry of the
// ranges that cover it, so every address stays banned exactly as long as its longest decision:
// [10.0.0.0, 10.0.255.255] 1h, [10.1.0.0, 10.1.255.255] 4h, [10.2.0.0, 10.255.255.255] 1h.
// When the 1h pieces expire in the kernel, the /16 is still there. A segment also carries the
// origin of the decision that sets its expiry (its drops are counted under that origin). Pure;
// no I/O.
#pragma once

#include <cstdint>
#include <vector>

#include "core/net.h"

namespace phalanx::nft {

struct Segment {
  net::Uint128 first = 0;  // inclusive, in net::Cidr's integer space (IPv4 as ::ffff:a.b.c.d)
  net::Uint128 last = 0;   // inclusive
  int64_t expiry_ms = 0;   // absolute, on the caller's clock; INT64_MAX: never
  uint16_t origin = 0;     // the caller's origin id
  bool operator==(const Segment&) const = default;
};

// Disjoint, sorted segments covering exactly the union of `ranges`; each gets the maximum
// expiry of the ranges covering it, and the origin of the range holding that expiry (the highest
// origin id among equals); neighbours with the same expiry and origin are joined.
std::vector<Segment> merge_ranges(std::vector<Segment> ranges);

}  // namespace phalanx::nft
