// SPDX-License-Identifier: Apache-2.0
#include "lapi/decision_index.h"

#include <gtest/gtest.h>

namespace phalanx::lapi {
namespace {

const TimePoint kT0 = TimePoint(std::chrono::seconds(1'700'000'000));

storage::Decision decision(int64_t id, std::string value, std::chrono::seconds left,
                           std::string scope = "Ip", int64_t rev = 0) {
  storage::Decision d;
  d.id = id;
  d.rev = rev == 0 ? id : rev;
  d.created_at = kT0;
  d.until = kT0 + left;
  d.scenario = "crowdsecurity/ssh-bf";
  d.type = "ban";
  d.scope = std::move(scope);
  d.value = std::move(value);
  d.origin = "crowdsec";
  return d;
}

std::vector<int64_t> ids(const std::vector<storage::Decision>& ds) {
  std::vector<int64_t> out;
  for (const auto& d : ds)
    out.push_back(d.id);
  return out;
}

TEST(DecisionIndex, RangeQueries) {
  DecisionIndex index;
  index.load({decision(1, "192.0.2.1", std::chrono::hours(1)),
              decision(2, "192.0.2.0/24", std::chrono::hours(1), "Range"),
              decision(3, "10.0.0.0/8", std::chrono::hours(1), "Range"),
              decision(4, "2001:db8::1", std::chrono::hours(1)),
              decision(5, "192.0.2.7", -std::chrono::hours(1))});
  DecisionFilter f;
  f.range = *net::Cidr::parse("192.0.2.1");
  EXPECT_EQ(ids(index.query(f, kT0)), (std::vector<int64_t>{1, 2}));
  f.range = *net::Cidr::parse("10.1.2.3");
  EXPECT_EQ(ids(index.query(f, kT0)), (std::vector<int64_t>{3}));
  f.range = *net::Cidr::parse("192.0.0.0/16");
  f.contains = false;
  EXPECT_EQ(ids(index.query(f, kT0)), (std::vector<int64_t>{1, 2}));  // 5 has expired
  f.range = *net::Cidr::parse("::/0");
  EXPECT_EQ(ids(index.query(f, kT0)), (std::vector<int64_t>{4}));  // families never mix
}

TEST(DecisionIndex, DeltaSinceCursor) {
  DecisionIndex index;
  index.load({decision(1, "192.0.2.1", std::chrono::hours(1)),
              decision(2, "192.0.2.2", std::chrono::minutes(1))});
  const Cursor c = index.cursor(kT0);
  EXPECT_TRUE(index.delta_since(c, {}, true, kT0).empty());
  const std::vector<storage::Decision> added{decision(3, "192.0.2.3", std::chrono::hours(1))};
  EXPECT_EQ(index.apply(added), 1u);
  auto d = index.delta_since(c, {}, true, kT0);
  EXPECT_EQ(d.added, (std::vector<int64_t>{3}));
  // Row 2 expires by itself two minutes later; row 1 is expired by a write.
  auto expired = decision(1, "192.0.2.1", std::chrono::seconds(0), "Ip", 10);
  const std::vector<storage::Decision> changed{expired};
  index.apply(changed);
  d = index.delta_since(c, {}, true, kT0 + std::chrono::minutes(2));
  EXPECT_EQ(d.added, (std::vector<int64_t>{3}));
  EXPECT_EQ(d.deleted, (std::vector<int64_t>{1, 2}));
  // A stale row (older rev) is ignored.
  const std::vector<storage::Decision> stale{
      decision(1, "192.0.2.1", std::chrono::hours(9), "Ip", 5)};
  EXPECT_EQ(index.apply(stale), 0u);
}

TEST(DecisionIndex, DedupAndHelpers) {
  DecisionIndex index;
  index.load({decision(1, "192.0.2.1", std::chrono::hours(4)),
              decision(2, "192.0.2.1", std::chrono::hours(1)),
              decision(3, "192.0.2.1", std::chrono::hours(1), "Range")});
  std::string out;
  int64_t after = 0;
  bool first = true;
  EXPECT_FALSE(index.write_page(true, {}, true, kT0, 100, after, first, out));
  EXPECT_EQ(out.find("\"id\":2"), std::string::npos);
  EXPECT_NE(out.find("\"id\":1"), std::string::npos);
  EXPECT_NE(out.find("\"id\":3"), std::string::npos);  // another scope: not a duplicate
  EXPECT_EQ(index.active_count("192.0.2.1", kT0), 3);
  EXPECT_EQ(index.active_time_left("192.0.2.1", kT0), std::chrono::hours(4));
  EXPECT_EQ(index.active_by_origin(kT0)["crowdsec"], 3);
  EXPECT_EQ(index.next_expiry(kT0), kT0 + std::chrono::hours(1));
  EXPECT_EQ(index.prune(kT0 + std::chrono::hours(2)), 2u);
  EXPECT_EQ(index.size(), 1u);
}

TEST(DecisionIndex, SubscribersWakeOnceOnChange) {
  DecisionIndex index;
  int woken = 0;
  const uint64_t id = index.subscribe([&] { ++woken; });
  index.subscribe([&] { ++woken; });
  index.unsubscribe(id);
  const std::vector<storage::Decision> rows{decision(1, "192.0.2.1", std::chrono::hours(1))};
  index.apply(rows);
  EXPECT_EQ(woken, 1);
  const std::vector<storage::Decision> more{decision(2, "192.0.2.2", std::chrono::hours(1))};
  index.apply(more);
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(index.subscribers(), 0u);
}

TEST(Cursor, RoundTrip) {
  const Cursor c{0xabcdef, 42, kT0};
  auto back = Cursor::parse(c.to_string());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->epoch, c.epoch);
  EXPECT_EQ(back->seq, 42u);
  EXPECT_EQ(back->at, kT0);
  EXPECT_FALSE(Cursor::parse("x.y.z"));
  EXPECT_FALSE(Cursor::parse("12"));
}

}  // namespace
}  // namespace phalanx::lapi
