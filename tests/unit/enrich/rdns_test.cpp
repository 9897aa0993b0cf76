// SPDX-License-Identifier: Apache-2.0
// reverse_dns, only ever on loopback addresses, and only when /etc/hosts names them: an address
// the hosts file does not know would go to DNS, and tests must not send network traffic.
#include "enrich/rdns.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace phalanx::enrich {
namespace {

// The first name /etc/hosts gives for addr, or "" when it has none.
std::string hosts_name(const std::string& addr) {
  std::ifstream hosts("/etc/hosts");
  std::string line;
  while (std::getline(hosts, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream fields(line);
    std::string ip;
    std::string name;
    if (fields >> ip >> name && ip == addr) return name;
  }
  return "";
}

// Go's LookupAddr shape: dotted names get a trailing dot, single labels do not.
std::string go_shape(std::string name) {
  if (name.find('.') != std::string::npos && name.back() != '.') name += '.';
  return name;
}

class ReverseDnsTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ReverseDnsTest, LoopbackNameFromHostsFile) {
  const std::string addr = GetParam();
  const std::string expected = hosts_name(addr);
  if (expected.empty()) {
    GTEST_SKIP() << addr << " is not in /etc/hosts; resolving it could send a DNS query";
  }
  auto ip = net::IpAddress::parse(addr);
  ASSERT_TRUE(ip.has_value());
  EXPECT_EQ(reverse_dns(*ip), go_shape(expected));

  EXPECT_EQ(ReverseDns(true).enrich(addr), (Fields{{"reverse_dns", go_shape(expected)}}));
}

INSTANTIATE_TEST_SUITE_P(Loopback, ReverseDnsTest, ::testing::Values("127.0.0.1", "::1"));

TEST(ReverseDns, DisabledByDefaultAndInertOnBadInput) {
  // None of these reach the resolver: disabled, empty, or not an address.
  EXPECT_FALSE(ReverseDns().enabled());
  EXPECT_TRUE(ReverseDns().enrich("127.0.0.1").empty());
  EXPECT_TRUE(ReverseDns(true).enabled());
  EXPECT_TRUE(ReverseDns(true).enrich("").empty());
  EXPECT_TRUE(ReverseDns(true).enrich("localhost").empty());
  EXPECT_TRUE(ReverseDns(true).enrich("127.0.0.1 ").empty());
}

}  // namespace
}  // namespace phalanx::enrich
