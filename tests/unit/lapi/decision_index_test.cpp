// SPDX-License-Identifier: Apache-2.0
#include "lapi/decision_index.h"

#include <gtest/gtest.h>

#include "lapi/decision_json.h"

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

void expect_same(const storage::Decision& got, const storage::Decision& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.alert_id, want.alert_id);
  EXPECT_EQ(got.uuid, want.uuid);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.until, want.until);
  EXPECT_EQ(got.scenario, want.scenario);
  EXPECT_EQ(got.type, want.type);
  EXPECT_EQ(got.scope, want.scope);
  EXPECT_EQ(got.value, want.value);
  EXPECT_EQ(got.origin, want.origin);
  EXPECT_EQ(got.simulated, want.simulated);
  EXPECT_EQ(got.rev, want.rev);
}

// The index keeps rows in a compact form (interned strings, uuids as 16 bytes): every field
// and every byte of the JSON must come back as given, whatever the uuid's spelling.
TEST(DecisionIndex, RowsComeBackAsGiven) {
  std::vector<storage::Decision> rows;
  const char* uuids[] = {"0f3a9c1e-5b7d-4e2f-8a6b-1c2d3e4f5a6b",  // canonical: stored raw
                         "0F3A9C1E-5B7D-4E2F-8A6B-1C2D3E4F5A6B",  // uppercase: kept as text
                         "not-a-uuid", "", "0f3a9c1e5b7d4e2f8a6b1c2d3e4f5a6b0000"};
  int64_t id = 1;
  for (const char* u : uuids) {
    auto d = decision(id, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:" + std::to_string(id),
                      std::chrono::hours(id));
    d.uuid = u;
    d.alert_id = 100 + id;
    d.simulated = id % 2 == 0;
    d.scenario = "a \"quoted\" scenario\n" + std::to_string(id % 2);
    d.origin = id % 2 == 0 ? "CAPI" : "crowdsec";
    d.type = id == 3 ? "captcha" : "ban";
    rows.push_back(d);
    ++id;
  }
  DecisionIndex index;
  index.load(rows);
  DecisionFilter all;
  all.include_simulated = true;
  const auto got = index.query(all, kT0);
  ASSERT_EQ(got.size(), rows.size());
  std::vector<int64_t> all_ids;
  std::string want_json;
  for (size_t i = 0; i < rows.size(); ++i) {
    expect_same(got[i], rows[i]);
    auto one = index.get(rows[i].id);
    ASSERT_TRUE(one);
    expect_same(*one, rows[i]);
    all_ids.push_back(rows[i].id);
    if (i > 0) want_json.push_back(',');
    append_decision_json(want_json, rows[i], kT0);
  }
  std::string got_json;
  index.write_rows(all_ids, kT0, got_json);
  EXPECT_EQ(got_json, want_json);
  got_json.clear();
  EXPECT_EQ(index.write_query(all, kT0, 0, 0, got_json), rows.size());
  EXPECT_EQ(got_json, want_json);
  // limit and offset, as GET /v1/decisions passes them
  got_json.clear();
  EXPECT_EQ(index.write_query(all, kT0, 2, 1, got_json), 2u);
  std::string two;
  append_decision_json(two, rows[1], kT0);
  two.push_back(',');
  append_decision_json(two, rows[2], kT0);
  EXPECT_EQ(got_json, two);
  // Filters on the interned fields and on the uuid.
  DecisionFilter f;
  f.include_simulated = true;
  f.uuid = uuids[0];
  EXPECT_EQ(ids(index.query(f, kT0)), (std::vector<int64_t>{1}));
  f.uuid = uuids[1];
  EXPECT_EQ(ids(index.query(f, kT0)), (std::vector<int64_t>{2}));
  f.uuid.reset();
  f.type = "captcha";
  EXPECT_EQ(ids(index.query(f, kT0)), (std::vector<int64_t>{3}));
  f.type.reset();
  f.origins = {"CAPI"};
  EXPECT_EQ(ids(index.query(f, kT0)), (std::vector<int64_t>{2, 4}));
  f.origins.clear();
  f.scenarios_containing = {"\"quoted\" scenario\n1"};
  EXPECT_EQ(ids(index.query(f, kT0)), (std::vector<int64_t>{1, 3, 5}));
}

// Interned strings live as long as a row uses them.
TEST(DecisionIndex, StringsGoWithTheirRows) {
  DecisionIndex index;
  auto a = decision(1, "192.0.2.1", std::chrono::hours(1));
  auto b = decision(2, "192.0.2.2", std::chrono::hours(3));
  a.scenario = "only/a";
  a.uuid = "odd uuid a";
  index.load({a, b});
  // scenario x2, type, scope, origin, and a's uuid kept as text
  EXPECT_EQ(index.interned_strings(), 6u);
  EXPECT_EQ(index.prune(kT0 + std::chrono::hours(2)), 1u);
  EXPECT_EQ(index.interned_strings(), 4u);
  // An update replaces the row's strings.
  auto b2 = decision(2, "192.0.2.2", std::chrono::hours(3), "Ip", 50);
  b2.origin = "cscli";
  const std::vector<storage::Decision> changed{b2};
  EXPECT_EQ(index.apply(changed), 1u);
  EXPECT_EQ(index.interned_strings(), 4u);
  EXPECT_EQ(index.active_by_origin(kT0), (std::map<std::string, int64_t>{{"cscli", 1}}));
}

// Rows applied again and again (each apply leaves a stale entry in the change log, which is
// compacted from time to time): a delta still names each changed row once.
TEST(DecisionIndex, DeltaAfterManyUpdates) {
  DecisionIndex index;
  index.load({decision(1, "192.0.2.1", std::chrono::hours(1)),
              decision(2, "192.0.2.2", std::chrono::hours(1))});
  const Cursor before = index.cursor(kT0);
  Cursor middle;
  for (int64_t rev = 10; rev < 20000; ++rev) {
    const std::vector<storage::Decision> rows{decision(rev % 2 == 0 ? 1 : 2,
                                                       rev % 2 == 0 ? "192.0.2.1" : "192.0.2.2",
                                                       std::chrono::hours(1), "Ip", rev)};
    EXPECT_EQ(index.apply(rows), 1u);
    if (rev == 15000) middle = index.cursor(kT0);
  }
  EXPECT_EQ(index.delta_since(before, {}, false, kT0).added, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(index.delta_since(middle, {}, false, kT0).added, (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(index.delta_since(index.cursor(kT0), {}, false, kT0).empty());
  EXPECT_EQ(index.size(), 2u);
}

TEST(DecisionIndex, SameIdTwiceInOneLoadKeepsTheLaterRow) {
  DecisionIndex index;
  index.load({decision(1, "192.0.2.1", std::chrono::hours(1)),
              decision(1, "192.0.2.9", std::chrono::hours(2))});
  EXPECT_EQ(index.size(), 1u);
  ASSERT_TRUE(index.get(1));
  EXPECT_EQ(index.get(1)->value, "192.0.2.9");
  EXPECT_EQ(index.active_count("192.0.2.1", kT0), 0);
  EXPECT_EQ(index.active_count("192.0.2.9", kT0), 1);
  EXPECT_EQ(index.interned_strings(), 4u);
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
