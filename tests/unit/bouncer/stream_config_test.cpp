// SPDX-License-Identifier: Apache-2.0
#include "bouncer/stream_config.h"

#include <gtest/gtest.h>

namespace phalanx::bouncer {
namespace {

using namespace std::chrono_literals;

Result<StreamConfig> load(const char* text) {
  return load_stream_config(YAML::Load(text), "bouncer.yaml");
}

TEST(StreamConfig, ReadsFirewallBouncerKeys) {
  auto c = load(R"(
api_url: https://127.0.0.1:8443/
api_key: secret
update_frequency: 2s
push_wait: 0s
scopes: [ip, range]
origins: [crowdsec, cscli]
scenarios_containing: ssh
scenarios_not_containing: [http]
supported_decisions_types: [ban, captcha]
insecure_skip_verify: true
)");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->api_url, "https://127.0.0.1:8443/");
  EXPECT_EQ(c->update_frequency, 2s);
  EXPECT_EQ(c->push_wait, 0s);
  EXPECT_EQ(c->scopes, (std::vector<std::string>{"ip", "range"}));
  EXPECT_EQ(c->scenarios_containing, (std::vector<std::string>{"ssh"}));
  EXPECT_EQ(c->supported_decisions_types, (std::vector<std::string>{"ban", "captcha"}));
  EXPECT_TRUE(c->insecure_skip_verify);
}

TEST(StreamConfig, DefaultsAndRefusals) {
  auto c = load("api_key: k");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->update_frequency, 10s);
  EXPECT_EQ(c->supported_decisions_types, (std::vector<std::string>{"ban"}));
  struct Case {
    const char* yaml;
    const char* expect;
  } cases[] = {
      {"api_url: x", "api_key is required"},
      {"api_key: k\ncert_path: c\nkey_path: k", "not both"},
      {"cert_path: c", "go together"},
      {"api_key: k\nupdate_frequency: often", "bouncer.yaml:2: key 'update_frequency'"},
      {"api_key: k\nupdate_frequency: 0s", "must be > 0"},
      {"api_key: k\nscopes: {a: 1}", "scopes"},
  };
  for (const auto& k : cases) {
    auto r = load(k.yaml);
    ASSERT_FALSE(r.has_value()) << k.yaml;
    EXPECT_NE(r.error().message().find(k.expect), std::string::npos) << r.error().message();
  }
}

}  // namespace
}  // namespace phalanx::bouncer
