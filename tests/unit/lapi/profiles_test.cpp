// SPDX-License-Identifier: Apache-2.0
// POST /v1/alerts with profiles and the allow list wired in.
#include "profiles/profiles.h"

#include <algorithm>

#include "lapi_fixture.h"

namespace phalanx::lapi::test {
namespace {

using nlohmann::json;

constexpr std::string_view kProfiles = R"(
name: default_ip_remediation
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
on_success: break
)";

class ProfilesTest : public LapiTest {
 protected:
  void SetUp() override {
    auto p = profiles::ProfileSet::load_string(kProfiles, "test-profiles");
    ASSERT_TRUE(p) << p.error().message();
    profiles_ = std::make_shared<profiles::ProfileSet>(std::move(*p));
    auto a = profiles::AllowList::make({"192.0.2.0/24"}, false);
    ASSERT_TRUE(a) << a.error().message();
    allow_ = std::make_shared<profiles::AllowList>(std::move(*a));
    start(LapiOptions{});
    lapi_->replace_policy({profiles_, allow_});
    token_ = machine_token();
    key_ = add_bouncer("fw");
  }

  std::shared_ptr<const profiles::ProfileSet> profiles_;
  std::shared_ptr<const profiles::AllowList> allow_;
  std::string token_;
  std::string key_;
};

TEST_F(ProfilesTest, AlertsWithoutDecisionsRunTheProfiles) {
  json a = alert("203.0.113.7", "");
  a["remediation"] = true;
  json b = alert("203.0.113.8", "");  // no remediation: no profile matches
  auto res = post_alerts(token_, json::array({a, b}));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  res = client()->Get("/v1/decisions", api_key(key_));
  const json d = json::parse(res->body);
  ASSERT_EQ(d.size(), 1u) << res->body;
  EXPECT_EQ(d[0]["value"], "203.0.113.7");
  EXPECT_EQ(d[0]["origin"], "crowdsec");
  EXPECT_EQ(d[0]["duration"], "4h0m0s");
  EXPECT_EQ(d[0]["scenario"], "crowdsecurity/ssh-bf");
}

TEST_F(ProfilesTest, AllowListRefusesDecisionsButKeepsTheAlert) {
  json a = alert("192.0.2.10");  // carries a decision on an allowed address
  a["remediation"] = true;
  json r = alert("127.0.0.0/8", "1h", "Range");  // overlaps loopback, always refused
  auto res = post_alerts(token_, json::array({a, r, alert("203.0.113.9")}));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  res = client()->Get("/v1/decisions", api_key(key_));
  const json d = json::parse(res->body);
  ASSERT_EQ(d.size(), 1u) << res->body;
  EXPECT_EQ(d[0]["value"], "203.0.113.9");
  res = client()->Get("/v1/alerts", bearer(token_));
  EXPECT_EQ(json::parse(res->body).size(), 3u);
  res = client()->Get("/metrics");
  EXPECT_NE(res->body.find("phalanx_lapi_allowlist_refusals_total 2"), std::string::npos)
      << res->body;
}

// phalanxd replaces the policy on SIGHUP: the next alert runs the new profiles and meets the new
// allow list; decisions made before stay as they were.
TEST_F(ProfilesTest, AReplacedPolicyAppliesToTheNextAlerts) {
  json a = alert("203.0.113.7", "");
  a["remediation"] = true;
  ASSERT_EQ(post_alerts(token_, json::array({a}))->status, 201);
  auto p = profiles::ProfileSet::load_string(R"(
name: shorter
filters:
 - Alert.Remediation == true
decisions:
 - type: captcha
   duration: 30m
on_success: break
)",
                                             "reloaded");
  ASSERT_TRUE(p) << p.error().message();
  auto allow = profiles::AllowList::make({"203.0.113.9"}, false);
  ASSERT_TRUE(allow) << allow.error().message();
  lapi_->replace_policy({std::make_shared<profiles::ProfileSet>(std::move(*p)),
                         std::make_shared<profiles::AllowList>(std::move(*allow))});
  json b = alert("203.0.113.8", "");
  b["remediation"] = true;
  json c = alert("203.0.113.9", "");  // allowed now
  c["remediation"] = true;
  ASSERT_EQ(post_alerts(token_, json::array({b, c}))->status, 201);
  auto res = client()->Get("/v1/decisions", api_key(key_));
  json d = json::parse(res->body);
  ASSERT_EQ(d.size(), 2u) << res->body;
  std::sort(d.begin(), d.end(),
            [](const json& x, const json& y) { return x["value"] < y["value"]; });
  EXPECT_EQ(d[0]["value"], "203.0.113.7");
  EXPECT_EQ(d[0]["type"], "ban");
  EXPECT_EQ(d[0]["duration"], "4h0m0s");
  EXPECT_EQ(d[1]["value"], "203.0.113.8");
  EXPECT_EQ(d[1]["type"], "captcha");
  EXPECT_EQ(d[1]["duration"], "30m0s");
  // No policy at all: alerts are stored without decisions.
  lapi_->replace_policy({});
  json e = alert("203.0.113.10", "");
  e["remediation"] = true;
  ASSERT_EQ(post_alerts(token_, json::array({e}))->status, 201);
  res = client()->Get("/v1/decisions?ip=203.0.113.10", api_key(key_));
  EXPECT_EQ(res->body, "null");
}

}  // namespace
}  // namespace phalanx::lapi::test
