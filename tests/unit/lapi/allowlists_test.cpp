// SPDX-License-Identifier: Apache-2.0
// Centralised allowlists: the /v1/allowlists routes, and POST /v1/alerts leaving out alerts whose
// source a list covers.
#include "lapi/allowlists.h"

#include <gtest/gtest.h>

#include "lapi_fixture.h"
#include "profiles/profiles.h"

namespace phalanx::lapi::test {
namespace {

using nlohmann::json;
using std::chrono::hours;

net::Cidr cidr(const std::string& text) {
  auto c = net::Cidr::parse(text);
  EXPECT_TRUE(c) << text;
  return c ? *c : net::Cidr();
}

storage::AllowlistItem item(const std::string& value, const std::string& description = "",
                            std::optional<TimePoint> expires = std::nullopt) {
  storage::AllowlistItem i;
  i.value = value;
  i.description = description;
  i.expires_at = expires;
  return i;
}

TEST(AllowlistMatcherTest, CoversInsideAndAroundInTheSameFamily) {
  const TimePoint now{std::chrono::seconds(1'700'000'000)};
  storage::Allowlist office, partners;
  office.name = "office";
  office.items = {item("198.51.100.0/24", "office LAN"), item("2001:db8::/48")};
  partners.name = "partners";
  partners.items = {item("198.51.100.7"), item("203.0.113.5", "", now - hours(1)),
                    item("not an address")};
  // Reasons come in list-name order whatever the input order.
  const AllowlistMatcher m({office, partners});
  EXPECT_EQ(m.reasons(cidr("198.51.100.7"), now),
            (std::vector<std::string>{"198.51.100.0/24 from office (office LAN)",
                                      "198.51.100.7 from partners"}));
  EXPECT_EQ(m.reasons(cidr("198.51.100.9"), now).size(), 1u);
  // A range that contains an allowlisted address is covered too.
  EXPECT_EQ(m.reasons(cidr("198.51.0.0/16"), now).size(), 2u);
  EXPECT_EQ(m.reasons(cidr("2001:db8::1"), now),
            std::vector<std::string>{"2001:db8::/48 from office"});
  EXPECT_TRUE(m.reasons(cidr("198.51.101.1"), now).empty());
  // Expired items no longer cover; before their expiry they do.
  EXPECT_TRUE(m.reasons(cidr("203.0.113.5"), now).empty());
  EXPECT_EQ(m.reasons(cidr("203.0.113.5"), now - hours(2)).size(), 1u);
  // IPv4 never matches an IPv6 item, even ::/0.
  const AllowlistMatcher all6({[] {
    storage::Allowlist l;
    l.name = "v6";
    l.items = {item("::/0")};
    return l;
  }()});
  EXPECT_TRUE(all6.reasons(cidr("198.51.100.7"), now).empty());
  EXPECT_FALSE(all6.reasons(cidr("2001:db8::1"), now).empty());
}

class AllowlistsTest : public LapiTest {
 protected:
  void SetUp() override {
    start(LapiOptions{});
    token_ = machine_token();
    key_ = add_bouncer("fw");
    storage::Allowlist l;
    l.name = "partners";
    l.description = "partner networks";
    l.created_at = l.updated_at = clock_.now();
    ASSERT_TRUE(store_->create_allowlist(l));
    std::vector<storage::AllowlistItem> items{
        item("198.51.100.0/24", "partner A"),
        item("203.0.113.77", "", clock_.now() - hours(1)),  // expired
        item("2001:db8:1::/48")};
    for (auto& i : items)
      i.created_at = clock_.now();
    ASSERT_TRUE(store_->add_allowlist_items("partners", items, clock_.now()));
  }

  httplib::Result get(const std::string& path) { return client()->Get(path, bearer(token_)); }

  std::string token_;
  std::string key_;
};

TEST_F(AllowlistsTest, ListAndGetByName) {
  auto res = get("/v1/allowlists");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json lists = json::parse(res->body);
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_EQ(lists[0]["name"], "partners");
  EXPECT_EQ(lists[0]["description"], "partner networks");
  EXPECT_EQ(lists[0]["items"], json::array());                       // without with_content=true
  EXPECT_EQ(lists[0]["created_at"].get<std::string>().size(), 24u);  // ...T..:..:...mmmZ

  res = get("/v1/allowlists/partners?with_content=true");
  ASSERT_EQ(res->status, 200) << res->body;
  const json l = json::parse(res->body);
  ASSERT_EQ(l["items"].size(), 2u) << res->body;  // the expired item is left out
  EXPECT_EQ(l["items"][0]["value"], "198.51.100.0/24");
  EXPECT_EQ(l["items"][0]["description"], "partner A");
  EXPECT_EQ(l["items"][0]["expiration"], "0001-01-01T00:00:00.000Z");  // never
  EXPECT_EQ(l["items"][1]["value"], "2001:db8:1::/48");

  res = get("/v1/allowlists/nobody");
  EXPECT_EQ(res->status, 404);
  // Machines only: a bouncer's key does not open them.
  res = client()->Get("/v1/allowlists", api_key(key_));
  EXPECT_EQ(res->status, 401);
}

TEST_F(AllowlistsTest, CheckOneValueByGetAndHead) {
  auto res = get("/v1/allowlists/check/198.51.100.20");
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body),
            (json{{"allowlisted", true}, {"reason", "198.51.100.0/24 from partners (partner A)"}}));
  res = get("/v1/allowlists/check/198.51.0.0%2F16");  // a range around an item
  EXPECT_EQ(json::parse(res->body).value("allowlisted", false), true) << res->body;
  res = get("/v1/allowlists/check/203.0.113.77");  // expired
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body), json::object());
  res = get("/v1/allowlists/check/nonsense");
  EXPECT_EQ(res->status, 400);

  res = client()->Head("/v1/allowlists/check/2001:db8:1::5", bearer(token_));
  EXPECT_EQ(res->status, 200);
  res = client()->Head("/v1/allowlists/check/2001:db8:2::5", bearer(token_));
  EXPECT_EQ(res->status, 204);
}

TEST_F(AllowlistsTest, BulkCheckListsOnlyTheCoveredTargets) {
  auto res = client()->Post("/v1/allowlists/check", bearer(token_),
                            R"({"targets":["198.51.100.1","192.0.2.1","2001:db8:1::/64"]})",
                            "application/json");
  ASSERT_EQ(res->status, 200) << res->body;
  const json r = json::parse(res->body);
  ASSERT_EQ(r["results"].size(), 2u) << res->body;
  EXPECT_EQ(r["results"][0]["target"], "198.51.100.1");
  EXPECT_EQ(r["results"][0]["allowlists"],
            json::array({"198.51.100.0/24 from partners (partner A)"}));
  EXPECT_EQ(r["results"][1]["target"], "2001:db8:1::/64");

  res = client()->Post("/v1/allowlists/check", bearer(token_), R"({"targets":[]})",
                       "application/json");
  EXPECT_EQ(res->status, 400);
  res = client()->Post("/v1/allowlists/check", bearer(token_), R"({"targets":["x"]})",
                       "application/json");
  EXPECT_EQ(res->status, 400);
}

TEST_F(AllowlistsTest, AlertsFromAllowlistedSourcesAreNotStored) {
  auto p = profiles::ProfileSet::load_string(R"(
name: ban
filters:
 - Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
)",
                                             "test-profiles");
  ASSERT_TRUE(p) << p.error().message();
  lapi_->replace_policy({std::make_shared<const profiles::ProfileSet>(std::move(*p)), nullptr});
  // Detected by an agent (no decisions): left out when allowlisted. With a decision (an admin's):
  // kept.
  auto res = post_alerts(token_, json::array({alert("198.51.100.9", ""), alert("192.0.2.44", ""),
                                              alert("198.51.100.10")}));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  EXPECT_EQ(json::parse(res->body).size(), 2u) << res->body;
  res = client()->Get("/v1/decisions", api_key(key_));
  json d = json::parse(res->body);
  ASSERT_EQ(d.size(), 2u) << res->body;
  std::vector<std::string> values{d[0]["value"], d[1]["value"]};
  std::sort(values.begin(), values.end());
  EXPECT_EQ(values, (std::vector<std::string>{"192.0.2.44", "198.51.100.10"}));
  res = client()->Get("/metrics");
  EXPECT_NE(res->body.find("phalanx_lapi_allowlisted_alerts_total 1"), std::string::npos);

  // A value added later covers the next alerts once the copy is refreshed.
  std::vector<storage::AllowlistItem> more{item("192.0.2.0/24")};
  ASSERT_TRUE(store_->add_allowlist_items("partners", more, clock_.now()));
  std::this_thread::sleep_for(kAllowlistRefresh + std::chrono::milliseconds(100));
  res = post_alerts(token_, json::array({alert("192.0.2.45", "")}));
  ASSERT_EQ(res->status, 201) << res->body;
  EXPECT_EQ(res->body, "[]");
}

}  // namespace
}  // namespace phalanx::lapi::test
