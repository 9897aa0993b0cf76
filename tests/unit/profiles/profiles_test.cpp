// SPDX-License-Identifier: Apache-2.0
#include "profiles/profiles.h"

#include <gtest/gtest.h>

#include <map>

namespace phalanx::profiles {
namespace {

using namespace std::chrono_literals;

const TimePoint kStop = TimePoint(std::chrono::seconds(1'760'000'000));

storage::Alert ip_alert(std::string value = "192.0.2.7", bool remediation = true) {
  storage::Alert a;
  a.scenario = "phalanx/ssh-bf";
  a.kind = "crowdsec";
  a.start_at = kStop - 10s;
  a.stop_at = kStop;
  a.remediation = remediation;
  a.events_count = 6;
  a.source.scope = "Ip";
  a.source.value = value;
  a.source.ip = value;
  return a;
}

ProfileSet load(std::string_view yaml) {
  auto set = ProfileSet::load_string(yaml, "profiles.yaml");
  EXPECT_TRUE(set) << (set ? "" : set.error().message());
  return set ? std::move(*set) : ProfileSet();
}

constexpr std::string_view kDefault = R"(
name: default_ip_remediation
filters:
  - Alert.Remediation == true && Alert.GetScope() == "Ip"
decisions:
  - type: ban
    duration: 4h
on_success: break
---
name: default_range_remediation
filters:
  - Alert.Remediation == true && Alert.GetScope() == "Range"
decisions:
  - type: ban
    duration: 4h
on_success: break
)";

TEST(Profiles, DefaultBansIpForFourHoursFromTheAlertsEnd) {
  ProfileSet set = load(kDefault);
  ASSERT_EQ(set.size(), 2u);
  auto out = set.decide(ip_alert(), nullptr);
  ASSERT_TRUE(out) << out.error().message();
  ASSERT_EQ(out->decisions.size(), 1u);
  const auto& d = out->decisions[0];
  EXPECT_EQ(d.type, "ban");
  EXPECT_EQ(d.scope, "Ip");
  EXPECT_EQ(d.value, "192.0.2.7");
  EXPECT_EQ(d.origin, "crowdsec");
  EXPECT_EQ(d.scenario, "phalanx/ssh-bf");
  EXPECT_EQ(d.until, kStop + 4h);
  EXPECT_FALSE(d.simulated);
  EXPECT_EQ(d.uuid.size(), 36u);
  EXPECT_EQ(out->matched, std::vector<std::string>{"default_ip_remediation"});
}

TEST(Profiles, RangeAlertMatchesTheRangeProfile) {
  ProfileSet set = load(kDefault);
  storage::Alert a = ip_alert();
  a.source.scope = "Range";
  a.source.value = "2001:db8::/64";
  auto out = set.decide(a, nullptr);
  ASSERT_TRUE(out);
  ASSERT_EQ(out->decisions.size(), 1u);
  EXPECT_EQ(out->decisions[0].scope, "Range");
  EXPECT_EQ(out->decisions[0].value, "2001:db8::/64");
  EXPECT_EQ(out->matched, std::vector<std::string>{"default_range_remediation"});
}

TEST(Profiles, NoRemediationNoDecision) {
  ProfileSet set = load(kDefault);
  auto out = set.decide(ip_alert("192.0.2.7", false), nullptr);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->decisions.empty());
  EXPECT_TRUE(out->matched.empty());
}

TEST(Profiles, EachTrueFilterAddsTheDecisionsAgain) {
  ProfileSet set = load(R"(
name: twice
filters:
  - Alert.Remediation == true
  - Alert.GetScope() == "Ip"
  - Alert.GetScenario() == "nope"
decisions:
  - type: ban
    duration: 1h
  - type: captcha
    duration: 2h
)");
  auto out = set.decide(ip_alert(), nullptr);
  ASSERT_TRUE(out);
  ASSERT_EQ(out->decisions.size(), 4u);
  EXPECT_EQ(out->decisions[0].type, "ban");
  EXPECT_EQ(out->decisions[1].type, "captcha");
  EXPECT_EQ(out->decisions[2].type, "ban");
  EXPECT_EQ(out->decisions[1].until, kStop + 2h);
  EXPECT_NE(out->decisions[0].uuid, out->decisions[2].uuid);
}

TEST(Profiles, ContinueLetsLaterProfilesAddBreakStops) {
  ProfileSet set = load(R"(
name: first
filters: [Alert.Remediation]
decisions: [{type: ban, duration: 1h}]
on_success: continue
---
name: second
filters: [Alert.Remediation]
decisions: [{type: ban, duration: 2h, origin: extra}]
on_success: break
---
name: third
filters: [Alert.Remediation]
decisions: [{type: ban, duration: 3h}]
)");
  auto out = set.decide(ip_alert(), nullptr);
  ASSERT_TRUE(out);
  ASSERT_EQ(out->decisions.size(), 2u);
  EXPECT_EQ(out->decisions[1].origin, "crowdsec/extra");
  EXPECT_EQ(out->matched, (std::vector<std::string>{"first", "second"}));
}

TEST(Profiles, DefaultDurationScopeOverrideAndSimulation) {
  ProfileSet set = load(R"(
name: p
filters: [Alert.GetScope() == "Ip"]
decisions:
  - type: ban
    scope: Range
    simulated: true
  - type: ban
)");
  storage::Alert a = ip_alert();
  auto out = set.decide(a, nullptr);
  ASSERT_TRUE(out);
  ASSERT_EQ(out->decisions.size(), 2u);
  EXPECT_EQ(out->decisions[0].scope, "Range");
  EXPECT_TRUE(out->decisions[0].simulated);
  EXPECT_EQ(out->decisions[0].until, kStop + 4h);
  EXPECT_FALSE(out->decisions[1].simulated);
  a.simulated = true;
  out = set.decide(a, nullptr);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->decisions[1].simulated);
}

// Answers the decision helpers from a fixed table, as the LAPI's index would.
class TableCounter final : public expr::DecisionCounter {
 public:
  std::map<std::string, int64_t, std::less<>> counts;
  Result<int64_t> count(std::string_view value) override {
    auto it = counts.find(value);
    return it == counts.end() ? 0 : it->second;
  }
  Result<int64_t> count_since(std::string_view value, Duration) override { return count(value); }
  Result<int64_t> count_active(std::string_view value) override { return count(value); }
  Result<Duration> active_time_left(std::string_view) override { return Duration(0); }
};

TEST(Profiles, DurationExprEscalatesWithTheDecisionCount) {
  ProfileSet set = load(R"(
name: escalate
filters: [Alert.Remediation == true]
decisions: [{type: ban, duration: 4h}]
duration_expr: Sprintf('%dh', (GetDecisionsCount(Alert.GetValue()) + 1) * 4)
)");
  TableCounter counter;
  counter.counts["192.0.2.7"] = 2;
  auto out = set.decide(ip_alert(), &counter);
  ASSERT_TRUE(out) << out.error().message();
  ASSERT_EQ(out->decisions.size(), 1u);
  EXPECT_EQ(out->decisions[0].until, kStop + 12h);
  // Days are allowed in the result.
  ProfileSet days = load(R"(
name: days
filters: [Alert.Remediation == true]
decisions: [{type: ban}]
duration_expr: "'2d'"
)");
  out = days.decide(ip_alert(), nullptr);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->decisions[0].until, kStop + 48h);
}

TEST(Profiles, DurationExprThatFailsFallsBackToTheDecisionsDuration) {
  ProfileSet set = load(R"(
name: p
filters: [Alert.Remediation == true]
decisions: [{type: ban, duration: 30m}]
duration_expr: GetDecisionsCount(Alert.GetValue())
)");
  // No counter: the helper fails at run time.
  auto out = set.decide(ip_alert(), nullptr);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->decisions[0].until, kStop + 30min);
  // A result that is not a duration falls back too.
  ProfileSet bad = load(R"(
name: p
filters: [Alert.Remediation == true]
decisions: [{type: ban, duration: 30m}]
duration_expr: "'soon'"
)");
  out = bad.decide(ip_alert(), nullptr);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->decisions[0].until, kStop + 30min);
}

TEST(Profiles, FilterErrorsFollowOnError) {
  constexpr std::string_view kBody = R"(
filters: [Alert.Remediation == true, Alert.Source.Nope.Deeper == 1]
decisions: [{type: ban, duration: 1h}]
)";
  auto with = [&](std::string on_error) {
    std::string text = "name: p\n" + std::string(kBody);
    if (!on_error.empty()) text += "on_error: " + on_error + "\n";
    text += "---\nname: next\nfilters: [Alert.Remediation]\ndecisions: [{type: captcha}]\n";
    return load(text);
  };
  // Default: the alert is refused with the expression's error.
  auto out = with("").decide(ip_alert(), nullptr);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message().find("profile 'p'"), std::string::npos);
  // apply: the profile counts as matched but its decisions are dropped; the next one runs.
  out = with("apply").decide(ip_alert(), nullptr);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->matched, (std::vector<std::string>{"p", "next"}));
  ASSERT_EQ(out->decisions.size(), 1u);
  EXPECT_EQ(out->decisions[0].type, "captcha");
  // break: stops after a profile that had matched before the error.
  out = with("break").decide(ip_alert(), nullptr);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->matched, std::vector<std::string>{"p"});
  EXPECT_TRUE(out->decisions.empty());
  // A non-boolean filter result is an error too.
  ProfileSet nonbool = load("name: p\nfilters: ['Alert.GetScope()']\ndecisions: [{type: ban}]\n");
  out = nonbool.decide(ip_alert(), nullptr);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message().find("unexpected type string"), std::string::npos);
}

TEST(Profiles, LoadErrorsAreCollectedWithFileAndLine) {
  auto set = ProfileSet::load_string(R"(
name: a
filters: ['Alert.Remediation ==']
decisions: [{type: ban, duration: 4x}]
---
name: b
filter: [true]
decisions: [{duration: 1h}]
on_success: stop
)",
                                     "bad.yaml");
  ASSERT_FALSE(set);
  const std::string& msg = set.error().message();
  EXPECT_NE(msg.find("5 error(s)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad.yaml:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad.yaml:4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown key 'filter'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'type' is required"), std::string::npos) << msg;
  EXPECT_NE(msg.find("on_success: 'stop'"), std::string::npos) << msg;
}

TEST(AllowList, LoopbackHostAndConfiguredEntriesAreRefused) {
  auto list = AllowList::make({"198.51.100.0/24", "2001:db8:1::1"}, /*host=*/false);
  ASSERT_TRUE(list);
  EXPECT_FALSE(list->refusal("Ip", "127.0.0.1").empty());
  EXPECT_FALSE(list->refusal("Ip", "::1").empty());
  EXPECT_FALSE(list->refusal("Ip", "198.51.100.9").empty());
  EXPECT_FALSE(list->refusal("Range", "198.51.0.0/16").empty());  // covers an allowed range
  EXPECT_FALSE(list->refusal("Range", "2001:db8::/32").empty());
  EXPECT_TRUE(list->refusal("Ip", "192.0.2.1").empty());
  EXPECT_TRUE(list->refusal("Range", "2001:db8:2::/48").empty());
  EXPECT_TRUE(list->refusal("Country", "FR").empty());
  EXPECT_FALSE(list->refusal("Ip", "not-an-ip").empty());
  auto host = AllowList::make({}, /*host=*/true);
  ASSERT_TRUE(host);
  EXPECT_GT(host->entries().size(), 2u);
  EXPECT_FALSE(AllowList::make({"300.1.1.1"}, false));
}

TEST(Profiles, ShippedDefaultProfilesLoad) {
  auto set = ProfileSet::load_file(PHALANX_SOURCE_DIR "/scenarios/profiles/profiles.yaml");
  ASSERT_TRUE(set) << set.error().message();
  EXPECT_EQ(set->size(), 2u);
}

}  // namespace
}  // namespace phalanx::profiles
