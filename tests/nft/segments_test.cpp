// SPDX-License-Identifier: Apache-2.0
#include "bouncer-nft/segments.h"

#include <gtest/gtest.h>

namespace phalanx::nft {
namespace {

Segment seg(const char* cidr, int64_t expiry) {
  auto c = net::Cidr::parse(cidr);
  return {c->first(), c->last(), expiry};
}

std::string text(const Segment& s) {
  return net::IpAddress::from_uint128(s.first, true).to_string() + "-" +
         net::IpAddress::from_uint128(s.last, true).to_string() + "@" + std::to_string(s.expiry_ms);
}

std::vector<std::string> merged(std::vector<Segment> in) {
  std::vector<std::string> out;
  for (const auto& s : merge_ranges(std::move(in)))
    out.push_back(text(s));
  return out;
}

using Strings = std::vector<std::string>;

TEST(MergeRanges, Table) {
  struct Case {
    const char* name;
    std::vector<Segment> in;
    Strings want;
  };
  const Case cases[] = {
      {"empty", {}, {}},
      {"one", {seg("10.0.0.0/8", 5)}, {"10.0.0.0-10.255.255.255@5"}},
      {"disjoint",
       {seg("10.0.0.0/8", 5), seg("192.0.2.0/24", 7)},
       {"10.0.0.0-10.255.255.255@5", "192.0.2.0-192.0.2.255@7"}},
      {"longer inner range splits the outer one",
       {seg("10.0.0.0/8", 1), seg("10.1.0.0/16", 4)},
       {"10.0.0.0-10.0.255.255@1", "10.1.0.0-10.1.255.255@4", "10.2.0.0-10.255.255.255@1"}},
      {"shorter inner range disappears into the outer one",
       {seg("10.0.0.0/8", 4), seg("10.1.0.0/16", 1)},
       {"10.0.0.0-10.255.255.255@4"}},
      {"duplicates", {seg("10.0.0.0/8", 4), seg("10.0.0.0/8", 9)}, {"10.0.0.0-10.255.255.255@9"}},
      {"adjacent with the same expiry join",
       {seg("10.0.0.0/9", 3), seg("10.128.0.0/9", 3)},
       {"10.0.0.0-10.255.255.255@3"}},
      {"adjacent with different expiries stay apart",
       {seg("10.0.0.0/9", 3), seg("10.128.0.0/9", 4)},
       {"10.0.0.0-10.127.255.255@3", "10.128.0.0-10.255.255.255@4"}},
      {"up to the top of the space",
       {seg("255.255.255.0/24", 2)},
       {"255.255.255.0-255.255.255.255@2"}},
  };
  for (const auto& c : cases)
    EXPECT_EQ(merged(c.in), c.want) << c.name;
}

TEST(MergeRanges, EachSegmentCountsUnderTheOriginOfItsExpiry) {
  auto a = seg("10.0.0.0/8", 1);
  a.origin = 1;
  auto b = seg("10.1.0.0/16", 4);
  b.origin = 2;
  auto c = seg("10.2.0.0/16", 1);  // same expiry as the /8 but another origin: kept apart
  c.origin = 3;
  const auto out = merge_ranges({a, b, c});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].origin, 1);
  EXPECT_EQ(out[1].origin, 2);
  EXPECT_EQ(out[1].expiry_ms, 4);
  EXPECT_EQ(out[2].origin, 3);  // equal expiries: the higher origin id
  EXPECT_EQ(out[3].origin, 1);
  a.origin = 3;  // now the same origin and expiry as 10.2/16: one segment from 10.2 to the end
  const auto joined = merge_ranges({a, b, c});
  ASSERT_EQ(joined.size(), 3u);
  EXPECT_EQ(joined[2].first, c.first);
  EXPECT_EQ(joined[2].last, a.last);
}

TEST(MergeRanges, WholeIpv6SpaceHasNoEnd) {
  auto all = net::Cidr::parse("::/0");
  auto out = merge_ranges({{all->first(), all->last(), 1}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].last, ~net::Uint128(0));
}

}  // namespace
}  // namespace phalanx::nft
