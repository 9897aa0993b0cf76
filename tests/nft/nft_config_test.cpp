// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <linux/netfilter.h>

#include <cstdlib>

#include "bouncer-nft/config.h"

namespace phalanx::nft {
namespace {

TEST(NftConfig, Defaults) {
  auto c = parse_config("api_url: http://127.0.0.1:8080/\napi_key: k\n", "t.yaml");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->layout.family, NFPROTO_INET);
  EXPECT_EQ(c->layout.table, "phalanx");
  EXPECT_EQ(c->layout.hook, "prerouting");
  EXPECT_EQ(c->layout.priority, -300);
  EXPECT_FALSE(c->layout.reject);
  EXPECT_FALSE(c->flush_on_stop);
}

TEST(NftConfig, FirewallBouncerKeysAndNetdev) {
  auto c = parse_config(R"(api_url: http://127.0.0.1:8080/
api_key: k
deny_action: REJECT
disable_ipv6: true
nftables: {family: netdev, devices: [eth0, eth1], priority: -500}
flush_on_stop: true
)",
                        "t.yaml");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_TRUE(c->layout.reject);
  EXPECT_FALSE(c->layout.ipv6);
  EXPECT_EQ(c->layout.hook, "ingress");
  EXPECT_EQ(c->layout.priority, -500);
  EXPECT_EQ(c->layout.devices.size(), 2u);
  EXPECT_TRUE(c->flush_on_stop);
}

TEST(NftConfig, ErrorsNameTheProblem) {
  const std::pair<const char*, const char*> cases[] = {
      {"nftables: {family: netdev}", "needs devices"},
      {"nftables: {hook: output}", "hook must be"},
      {"nftables: {family: ip}", "need set_only"},
      {"nftables: {priority: soon}", "invalid priority"},
      {"deny_action: tarpit", "drop or reject"},
      {"chunk_size: 5", "chunk_size"},
  };
  for (const auto& [extra, want] : cases) {
    auto c = parse_config(std::string("api_url: http://x/\napi_key: k\n") + extra + "\n", "t.yaml");
    ASSERT_FALSE(c.has_value()) << extra;
    EXPECT_NE(c.error().message().find(want), std::string::npos) << c.error().message();
  }
}

}  // namespace
}  // namespace phalanx::nft

namespace phalanx::nft {
namespace {

TEST(NftConfig, TheShippedExampleLoads) {
  setenv("PHALANX_NFT_API_KEY", "k", 1);
  auto c = load_config(std::string(PHALANX_SOURCE_DIR) + "/examples/config/phalanx-nft.yaml");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->stream.api_key, "k");
  EXPECT_TRUE(c->prometheus);
  EXPECT_EQ(c->prometheus_port, 60602);
}

}  // namespace
}  // namespace phalanx::nft
