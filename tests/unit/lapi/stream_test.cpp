// SPDX-License-Identifier: Apache-2.0
// GET /v1/decisions/stream over HTTP: startup, deltas, deleted, dedup, scopes, the push
// extension (wait=, cursor=, X-Phalanx-Cursor); bodies read with the bouncers' own parser.
#include <fmt/format.h>

#include <future>
#include <thread>

#include "bouncer/decision.h"
#include "lapi_fixture.h"

namespace phalanx::lapi::test {
namespace {

using nlohmann::json;

class StreamTest : public LapiTest {
 protected:
  bouncer::StreamResponse stream(const std::string& query, std::string* cursor = nullptr,
                                 const std::string& key = "") {
    auto res = client()->Get("/v1/decisions/stream" + query, api_key(key.empty() ? key_ : key));
    EXPECT_TRUE(res);
    if (!res) return {};
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_TRUE(res->has_header("X-Phalanx-Cursor"));
    if (cursor != nullptr) *cursor = res->get_header_value("X-Phalanx-Cursor");
    auto parsed = bouncer::parse_stream_response(res->body);
    EXPECT_TRUE(parsed) << res->body;
    return parsed ? *parsed : bouncer::StreamResponse{};
  }

  static std::vector<std::string> values(const std::vector<bouncer::Decision>& ds) {
    std::vector<std::string> out;
    for (const auto& d : ds)
      out.push_back(d.value);
    return out;
  }

  // A decision inserted straight into the store, as another LAPI or the CLI would.
  void insert_as_another_writer(const std::string& ip) {
    storage::Decision d;
    d.created_at = clock_.now();
    d.until = clock_.now() + std::chrono::hours(1);
    d.scenario = "manual";
    d.type = "ban";
    d.scope = "Ip";
    d.value = ip;
    d.origin = "cscli";
    std::vector<storage::Decision> rows{d};
    ASSERT_TRUE(store_->insert_decisions(rows));
  }

  void SetUp() override {
    LapiTest::SetUp();
    key_ = add_bouncer("fw");
    token_ = machine_token();
  }

  std::string key_;
  std::string token_;
};

TEST_F(StreamTest, StartupDefaultsToIpAndRangeScopes) {
  auto res = post_alerts(
      token_, json::array({alert("192.0.2.1"), alert("10.0.0.0/8", "4h", "Range"),
                           alert("FR", "4h", "Country"), alert("alice", "4h", "username")}));
  ASSERT_EQ(res->status, 201);
  auto r = stream("?startup=true&community_pull=false&additional_pull=false");
  EXPECT_EQ(values(r.added), (std::vector<std::string>{"192.0.2.1", "10.0.0.0/8"}));
  EXPECT_TRUE(r.deleted.empty());
  ASSERT_EQ(r.added.size(), 2u);
  EXPECT_EQ(r.added[0].duration, std::chrono::hours(4));
  ASSERT_TRUE(r.added[1].target);
  EXPECT_EQ(r.added[1].target->prefix_len(), 8);

  r = stream("?startup=true&scopes=country,username");
  EXPECT_EQ(values(r.added), (std::vector<std::string>{"FR", "alice"}));
  r = stream("?startup=true&scopes=ip&origins=crowdsec");
  EXPECT_TRUE(r.added.empty());
  r = stream("?startup=true&scenarios_containing=SSH");
  EXPECT_EQ(r.added.size(), 2u);
  r = stream("?startup=true&scenarios_not_containing=ssh");
  EXPECT_TRUE(r.added.empty());
}

TEST_F(StreamTest, DeltasNewThenDeleted) {
  ASSERT_EQ(post_alerts(token_, json::array({alert("192.0.2.1")}))->status, 201);
  auto r = stream("?startup=true");
  EXPECT_EQ(values(r.added), (std::vector<std::string>{"192.0.2.1"}));
  r = stream("");
  EXPECT_TRUE(r.added.empty());
  EXPECT_TRUE(r.deleted.empty());

  ASSERT_EQ(post_alerts(token_, json::array({alert("192.0.2.2")}))->status, 201);
  r = stream("?");
  EXPECT_EQ(values(r.added), (std::vector<std::string>{"192.0.2.2"}));
  r = stream("?");
  EXPECT_TRUE(r.added.empty());

  auto del = client()->Delete("/v1/decisions?ip=192.0.2.1", bearer(token_));
  ASSERT_EQ(del->status, 200);
  r = stream("?");
  EXPECT_TRUE(r.added.empty());
  EXPECT_EQ(values(r.deleted), (std::vector<std::string>{"192.0.2.1"}));
  EXPECT_LE(r.deleted[0].duration.count(), 0);

  // A startup pull lists expired rows still in the store under `deleted`.
  r = stream("?startup=true");
  EXPECT_EQ(values(r.added), (std::vector<std::string>{"192.0.2.2"}));
  EXPECT_EQ(values(r.deleted), (std::vector<std::string>{"192.0.2.1"}));
}

TEST_F(StreamTest, DecisionsExpiringByThemselvesAreDeleted) {
  ASSERT_EQ(post_alerts(token_, json::array({alert("192.0.2.1", "1m")}))->status, 201);
  auto r = stream("?startup=true");
  ASSERT_EQ(r.added.size(), 1u);
  clock_.advance(std::chrono::minutes(2));
  r = stream("?");
  EXPECT_EQ(values(r.deleted), (std::vector<std::string>{"192.0.2.1"}));
  EXPECT_EQ(r.deleted[0].duration, -std::chrono::minutes(1));
}

TEST_F(StreamTest, DedupKeepsTheLongestDecision) {
  ASSERT_EQ(post_alerts(token_, json::array({alert("192.0.2.1", "4h"), alert("192.0.2.1", "1h")}))
                ->status,
            201);
  auto r = stream("?startup=true");
  ASSERT_EQ(r.added.size(), 1u);
  EXPECT_EQ(r.added[0].duration, std::chrono::hours(4));
  r = stream("?startup=true&dedup=false");
  EXPECT_EQ(r.added.size(), 2u);

  // Deleting the short one: the long one still covers the address, so no `deleted` entry.
  const int64_t short_id =
      r.added[1].duration == std::chrono::hours(1) ? r.added[1].id : r.added[0].id;
  stream("?");
  ASSERT_EQ(client()->Delete("/v1/decisions/" + std::to_string(short_id), bearer(token_))->status,
            200);
  r = stream("?");
  EXPECT_TRUE(r.deleted.empty());
  EXPECT_TRUE(r.added.empty());
}

TEST_F(StreamTest, HeadAnswersAtOnce) {
  auto res = client()->Head("/v1/decisions/stream", api_key(key_));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "");
}

TEST_F(StreamTest, WaitHoldsUntilTheWaitEnds) {
  std::string cursor;
  stream("?startup=true", &cursor);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = stream("?wait=700ms&cursor=" + cursor);
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.added.empty());
  EXPECT_GE(waited, std::chrono::milliseconds(650));
  EXPECT_LT(waited, std::chrono::seconds(5));
}

TEST_F(StreamTest, WaitEndsWhenADecisionArrives) {
  std::string cursor;
  stream("?startup=true", &cursor);
  auto pending = std::async(std::launch::async, [&] {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = stream("?wait=20s&cursor=" + cursor);
    return std::make_pair(r, std::chrono::steady_clock::now() - t0);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(post_alerts(token_, json::array({alert("192.0.2.9")}))->status, 201);
  auto [r, waited] = pending.get();
  EXPECT_EQ(values(r.added), (std::vector<std::string>{"192.0.2.9"}));
  EXPECT_LT(waited, std::chrono::seconds(5));
}

TEST_F(StreamTest, CursorsLetInstancesSharingAKeyKeepTheirOwnPosition) {
  std::string a, b;
  stream("?startup=true", &a);
  stream("?startup=true", &b);
  ASSERT_EQ(post_alerts(token_, json::array({alert("192.0.2.5")}))->status, 201);
  std::string a2, b2;
  auto ra = stream("?wait=5s&cursor=" + a, &a2);
  EXPECT_EQ(values(ra.added), (std::vector<std::string>{"192.0.2.5"}));
  // Instance b still gets the change, although the same bouncer already pulled it.
  auto rb = stream("?wait=5s&cursor=" + b, &b2);
  EXPECT_EQ(values(rb.added), (std::vector<std::string>{"192.0.2.5"}));
  // Without a cursor, the bouncer's own last position is used.
  auto rn = stream("?");
  EXPECT_TRUE(rn.added.empty());
  // A cursor this process did not issue is not trusted: the delta falls back to the bouncer.
  auto rx = stream("?cursor=ffff.1.1");
  EXPECT_TRUE(rx.added.empty());
}

TEST_F(StreamTest, InvalidWaitIs400) {
  auto res = client()->Get("/v1/decisions/stream?wait=soon", api_key(key_));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
}

TEST_F(StreamTest, LargeStartupIsChunkedAndComplete) {
  // 12 000 decisions in batches: more than two pages of the startup walk.
  for (int batch = 0; batch < 12; ++batch) {
    json alerts = json::array();
    for (int i = 0; i < 1000; ++i) {
      const int n = batch * 1000 + i;
      alerts.push_back(alert(fmt::format("10.{}.{}.{}", n / 65536, (n / 256) % 256, n % 256)));
    }
    ASSERT_EQ(post_alerts(token_, alerts)->status, 201);
  }
  auto res = client()->Get("/v1/decisions/stream?startup=true", api_key(key_));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("Transfer-Encoding"), "chunked");
  auto parsed = bouncer::parse_stream_response(res->body);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->added.size(), 12000u);
  for (size_t i = 1; i < parsed->added.size(); ++i)
    ASSERT_LT(parsed->added[i - 1].id, parsed->added[i].id);
}

TEST_F(StreamTest, OtherWritersReachTheIndexThroughSync) {
  ASSERT_NO_FATAL_FAILURE(insert_as_another_writer("203.0.113.4"));
  auto r = stream("?startup=true");
  EXPECT_TRUE(r.added.empty());
  auto n = lapi_->sync();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  r = stream("?");
  EXPECT_EQ(values(r.added), (std::vector<std::string>{"203.0.113.4"}));
  EXPECT_TRUE(r.added[0].uuid.empty());
}

TEST_F(StreamTest, SyncDoesNotReadBackThisLapisOwnWrites) {
  for (int i = 1; i <= 3; ++i)
    ASSERT_EQ(post_alerts(token_, json::array({alert(fmt::format("203.0.113.{}", i))}))->status,
              201);
  auto n = lapi_->sync();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
}

TEST_F(StreamTest, OtherWritersRowsBetweenOwnWritesStillReachTheIndex) {
  ASSERT_EQ(post_alerts(token_, json::array({alert("203.0.113.1")}))->status, 201);
  ASSERT_NO_FATAL_FAILURE(insert_as_another_writer("203.0.113.2"));
  // This write follows the other writer's rev: the index must not be taken as complete.
  ASSERT_EQ(post_alerts(token_, json::array({alert("203.0.113.3")}))->status, 201);
  auto r = stream("?startup=true");
  EXPECT_EQ(values(r.added), (std::vector<std::string>{"203.0.113.1", "203.0.113.3"}));
  auto n = lapi_->sync();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u);  // the other writer's row, and this LAPI's write after it
  r = stream("?");
  EXPECT_EQ(values(r.added), (std::vector<std::string>{"203.0.113.2"}));
  n = lapi_->sync();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  ASSERT_EQ(post_alerts(token_, json::array({alert("203.0.113.4")}))->status, 201);
  n = lapi_->sync();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
}

}  // namespace
}  // namespace phalanx::lapi::test
