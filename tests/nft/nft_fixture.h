// SPDX-License-Identifier: Apache-2.0
// Kernel tests of phalanx-nft run in a network namespace of their own (unshare(CLONE_NEWNET)
// per test), so the host's ruleset is never touched. Without CAP_NET_ADMIN they skip.
#pragma once

#include <gtest/gtest.h>
#include <sched.h>

#include <chrono>
#include <string>

#include "bouncer-nft/kernel_state.h"
#include "bouncer-nft/nft_backend.h"

namespace phalanx::nft::testing {

inline bouncer::Decision decision(const std::string& value, std::chrono::milliseconds duration,
                                  int64_t id = 0, const std::string& origin = "crowdsec") {
  bouncer::Decision d;
  d.id = id;
  d.origin = origin;
  d.type = "ban";
  d.value = value;
  d.scope = value.find('/') == std::string::npos ? "Ip" : "Range";
  d.duration = duration;
  auto t = bouncer::decision_target(d.scope, value);
  if (t) d.target = *t;
  return d;
}

class NftNamespace : public ::testing::Test {
 protected:
  void SetUp() override {
    if (unshare(CLONE_NEWNET) != 0) GTEST_SKIP() << "unshare(CLONE_NEWNET) refused: needs root";
    auto s = Socket::open();
    if (!s) GTEST_SKIP() << s.error().message();
    socket_ = std::make_unique<Socket>(std::move(*s));
  }

  // features: forced instead of probed (the older kernels' ways, run on this one).
  std::unique_ptr<NftBackend> backend(Layout layout = {},
                                      std::optional<KernelFeatures> features = std::nullopt) {
    BackendOptions o;
    o.layout = std::move(layout);
    o.features = features;
    o.allow = {*net::Cidr::parse("127.0.0.0/8")};
    auto b = NftBackend::open(o);
    EXPECT_TRUE(b.has_value()) << b.error().message();
    auto r = (*b)->setup();
    EXPECT_TRUE(r.has_value()) << r.error().message();
    return std::move(*b);
  }

  // The set's entries as text ("10.0.0.1/32", "10.0.0.0/8").
  std::vector<std::string> entries(SetId id, const Layout& layout = {}) {
    auto r = read_set(*socket_, layout, id);
    EXPECT_TRUE(r.has_value()) << r.error().message();
    std::vector<std::string> out;
    if (!r) return out;
    for (const auto& e : *r)
      out.push_back(e.target.to_string());
    std::sort(out.begin(), out.end());
    return out;
  }

  std::unique_ptr<Socket> socket_;
};

}  // namespace phalanx::nft::testing
