// SPDX-License-Identifier: Apache-2.0
#include "core/net.h"

#include <gtest/gtest.h>

namespace phalanx::net {
namespace {

TEST(IpAddressTest, ParsesAndFormats) {
  const std::pair<const char*, const char*> cases[] = {
      {"192.0.2.1", "192.0.2.1"},
      {"0.0.0.0", "0.0.0.0"},
      {"255.255.255.255", "255.255.255.255"},
      {"2001:db8::1", "2001:db8::1"},
      {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
      {"::1", "::1"},
      {"::", "::"},
      {"::ffff:192.0.2.7", "192.0.2.7"},  // v4-mapped reads as IPv4, as in Go
      {"fe80::1:2", "fe80::1:2"},
      {"::102:300", "::102:300"},  // Go prints hex, not glibc's "::1.2.3.0"
      {"2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"},
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},           // the longer run wins
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},     // leftmost on ties
      {"2001:db8:1:1:1:1:0:1", "2001:db8:1:1:1:1:0:1"},  // a single zero group stays
      {"1::", "1::"},
  };
  for (const auto& [in, want] : cases) {
    auto ip = IpAddress::parse(in);
    ASSERT_TRUE(ip) << in;
    EXPECT_EQ(ip->to_string(), want) << in;
  }
}

TEST(IpAddressTest, RejectsInvalid) {
  for (const char* in :
       {"", "1.2.3", "1.2.3.256", "01.2.3.4x", " 1.2.3.4", "1.2.3.4 ", "2001:db8:::1",
        "fe80::1%eth0", "host.example", "1.2.3.4/24", "\xff\xfe"}) {
    EXPECT_FALSE(IpAddress::parse(in)) << in;
  }
}

TEST(IpAddressTest, Families) {
  auto v4 = *IpAddress::parse("10.1.2.3");
  auto v6 = *IpAddress::parse("2001:db8::5");
  EXPECT_TRUE(v4.is_v4());
  EXPECT_TRUE(v6.is_v6());
  EXPECT_EQ(v4.v4_host_order(), 0x0a010203u);
  EXPECT_TRUE(v4.is_private());
  EXPECT_FALSE(v6.is_private());
  EXPECT_TRUE(IpAddress::parse("127.0.0.53")->is_loopback());
  EXPECT_TRUE(IpAddress::parse("::1")->is_loopback());
  EXPECT_TRUE(IpAddress::parse("fd00::1")->is_private());
  EXPECT_TRUE(IpAddress::parse("172.31.255.255")->is_private());
  EXPECT_FALSE(IpAddress::parse("172.32.0.1")->is_private());
  EXPECT_EQ(IpAddress::from_uint128(v6.to_uint128(), false), v6);
  EXPECT_EQ(IpAddress::from_uint128(v4.to_uint128(), true), v4);
}

struct CidrCase {
  const char* cidr;
  const char* canonical;
  const char* inside;
  const char* outside;
};

TEST(CidrTest, ParseContains) {
  const CidrCase cases[] = {
      {"10.0.0.0/8", "10.0.0.0/8", "10.255.1.2", "11.0.0.0"},
      {"10.1.2.3/8", "10.0.0.0/8", "10.0.0.1", "9.255.255.255"},
      {"192.0.2.7", "192.0.2.7/32", "192.0.2.7", "192.0.2.8"},
      {"0.0.0.0/0", "0.0.0.0/0", "203.0.113.1", "::1"},
      {"2001:db8::/32", "2001:db8::/32", "2001:db8:ffff::1", "2001:db9::"},
      {"2001:db8::1/64", "2001:db8::/64", "2001:db8::ffff", "2001:db8:0:1::"},
      {"::/0", "::/0", "2001:db8::1", "1.2.3.4"},
  };
  for (const auto& c : cases) {
    auto cidr = Cidr::parse(c.cidr);
    ASSERT_TRUE(cidr) << c.cidr;
    EXPECT_EQ(cidr->to_string(), c.canonical);
    EXPECT_TRUE(cidr->contains(*IpAddress::parse(c.inside))) << c.cidr << " " << c.inside;
    EXPECT_FALSE(cidr->contains(*IpAddress::parse(c.outside))) << c.cidr << " " << c.outside;
  }
}

TEST(CidrTest, RejectsInvalid) {
  for (const char* in :
       {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x", "::/129", "/8", "10.0.0/8"}) {
    EXPECT_FALSE(Cidr::parse(in)) << in;
  }
}

TEST(CidrTest, IntervalsAndNesting) {
  auto c = *Cidr::parse("192.0.2.0/24");
  EXPECT_EQ(c.last() - c.first(), Uint128(255));
  EXPECT_EQ(IpAddress::from_uint128(c.first(), true).to_string(), "192.0.2.0");
  EXPECT_EQ(IpAddress::from_uint128(c.last(), true).to_string(), "192.0.2.255");
  EXPECT_TRUE(c.contains(*Cidr::parse("192.0.2.128/25")));
  EXPECT_FALSE(c.contains(*Cidr::parse("192.0.0.0/16")));
  auto v6 = *Cidr::parse("2001:db8::/126");
  EXPECT_EQ(v6.last() - v6.first(), Uint128(3));
  EXPECT_FALSE(c.contains(v6));
}

}  // namespace
}  // namespace phalanx::net

namespace phalanx::net {
namespace {

TEST(HostAddresses, IncludesLoopback) {
  // Every Linux host (and network namespace with lo up) has 127.0.0.1 configured.
  bool loopback = false;
  for (const auto& c : host_addresses())
    loopback |= c.network().is_loopback() && c.prefix_len() == 32;
  EXPECT_TRUE(loopback);
}

}  // namespace
}  // namespace phalanx::net
