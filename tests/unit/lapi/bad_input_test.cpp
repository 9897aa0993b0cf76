// SPDX-License-Identifier: Apache-2.0
// Bad requests get CrowdSec's status and message (or a clear 4xx), store nothing, and leave the
// server up.
#include "lapi_fixture.h"

namespace phalanx::lapi::test {
namespace {

using nlohmann::json;

class BadInputTest : public LapiTest {
 protected:
  void SetUp() override {
    LapiTest::SetUp();
    token_ = machine_token();
    key_ = add_bouncer("fw");
  }

  // Nothing was stored and the server still answers.
  void expect_nothing_stored() {
    storage::AlertFilter all;
    all.limit = 0;
    auto alerts = store_->query_alerts(all, clock_.now());
    ASSERT_TRUE(alerts);
    EXPECT_TRUE(alerts->empty());
    auto health = client()->Get("/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
  }

  httplib::Result post_raw(const std::string& body, const std::string& encoding = "") {
    auto headers = bearer(token_);
    if (!encoding.empty()) headers.emplace("Content-Encoding", encoding);
    return client()->Post("/v1/alerts", headers, body, "application/json");
  }

  std::string token_;
  std::string key_;
};

TEST_F(BadInputTest, MalformedJson) {
  for (const char* body : {"", "{", "[{]", "not json", "\x01\x02", "[1,2", "{\"a\":1}"}) {
    auto res = post_raw(body);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << body;
    EXPECT_TRUE(json::parse(res->body).contains("message"));
  }
  expect_nothing_stored();
}

TEST_F(BadInputTest, WrongTypes) {
  const std::vector<std::pair<std::string, json>> cases = {
      {"capacity", "five"},      {"events_count", 1.5}, {"simulated", "no"},
      {"scenario", 42},          {"source", "1.2.3.4"}, {"events", json::object()},
      {"start_at", "yesterday"}, {"decisions", "ban"},
  };
  for (const auto& [field, value] : cases) {
    json a = alert("192.0.2.1");
    a[field] = value;
    auto res = post_raw(json::array({a}).dump());
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << field << ": " << res->body;
  }
  json a = alert("192.0.2.1");
  auto res = post_raw(json::array({a, 7}).dump());
  EXPECT_EQ(res->status, 400);
  expect_nothing_stored();
}

TEST_F(BadInputTest, MissingFieldsFailValidation) {
  json a = alert("192.0.2.1");
  a.erase("scenario");
  a["source"].erase("value");
  auto res = post_raw(json::array({alert("192.0.2.2"), a}).dump());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(json::parse(res->body)["message"],
            "validation failure list:\n1.scenario in body is required\n1.source.value in body is "
            "required");
  json d = alert("192.0.2.1");
  d["decisions"][0].erase("type");
  res = post_raw(json::array({d}).dump());
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(json::parse(res->body)["message"],
            "validation failure list:\n0.decisions.0.type in body is required");
  expect_nothing_stored();
}

TEST_F(BadInputTest, InvalidAddressesAndDurations) {
  for (const auto& [value, scope] : std::vector<std::pair<std::string, std::string>>{
           {"999.1.1.1", "Ip"}, {"1.2.3.4/40", "Range"}, {"not-an-ip", "ip"}, {"", "Ip"}}) {
    auto res = post_raw(json::array({alert(value, "4h", scope)}).dump());
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << value << " " << res->body;
  }
  auto res = post_raw(json::array({alert("192.0.2.1", "forever")}).dump());
  EXPECT_EQ(res->status, 400);
  expect_nothing_stored();

  res = client()->Get("/v1/decisions?ip=300.1.1.1", api_key(key_));
  EXPECT_EQ(res->status, 500);
  res = client()->Get("/v1/decisions?range=10.0.0.0/99", api_key(key_));
  EXPECT_EQ(res->status, 500);
  res = client()->Get("/v1/decisions?ip=10.0.0.0/8", api_key(key_));
  EXPECT_EQ(res->status, 500);
  // Unknown keys are ignored on GET /v1/decisions (CrowdSec compat).
  res = client()->Get("/v1/decisions?whatever=1", api_key(key_));
  EXPECT_EQ(res->status, 200);
}

TEST_F(BadInputTest, GzipBodies) {
  // A valid gzip body is accepted...
  auto res = post_raw(gzip(json::array({alert("192.0.2.1")}).dump()), "gzip");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;
  // ...a bogus or truncated one is not.
  res = post_raw("definitely not gzip", "gzip");
  EXPECT_EQ(res->status, 400);
  const std::string good = gzip(json::array({alert("192.0.2.2")}).dump());
  res = post_raw(good.substr(0, good.size() / 2), "gzip");
  EXPECT_EQ(res->status, 400);
  // A small body that inflates past the limit (2 MiB on /v1/watchers) is refused.
  const std::string bomb = gzip(std::string(3 * 1024 * 1024, ' '));
  EXPECT_LT(bomb.size(), 100000u);
  res = client()->Post("/v1/watchers", {{"Content-Encoding", "gzip"}}, bomb, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  storage::AlertFilter all;
  all.limit = 0;
  EXPECT_EQ(store_->query_alerts(all, clock_.now())->size(), 1u);
}

TEST_F(BadInputTest, OversizedBodies) {
  const std::string big(3 * 1024 * 1024, 'x');
  auto res = client()->Post("/v1/watchers", big, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(json::parse(res->body)["message"], "http: request body too large");
  res = client()->Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(BadInputTest, WrongCredentials) {
  auto headers = api_key(key_);  // a bouncer key where a JWT is needed
  auto res = client()->Post("/v1/alerts", headers, json::array({alert("192.0.2.1")}).dump(),
                            "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(json::parse(res->body)["code"], 401);
  res = client()->Get("/v1/decisions/stream", bearer(token_));  // a JWT where a key is needed
  EXPECT_EQ(res->status, 403);
  res = client()->Post("/v1/alerts", {{"Authorization", "Bearer a.b.c"}},
                       json::array({alert("192.0.2.1")}).dump(), "application/json");
  EXPECT_EQ(res->status, 401);
  res = client()->Post("/v1/alerts", {{"Authorization", "Basic Zm9vOmJhcg=="}},
                       json::array({alert("192.0.2.1")}).dump(), "application/json");
  EXPECT_EQ(res->status, 401);
  expect_nothing_stored();
}

}  // namespace
}  // namespace phalanx::lapi::test
