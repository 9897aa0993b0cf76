// SPDX-License-Identifier: Apache-2.0
// Decisions: revs, expiry, the LAPI's startup load and follow-up reads, counts.
#include <gtest/gtest.h>

#include <set>

#include "store_fixture.h"

namespace phalanx::storage::test {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

class DecisionsTest : public StoreTest {};

TEST_P(DecisionsTest, RevIsStrictlyIncreasingAcrossInsertsAndExpiry) {
  auto r0 = store_->max_rev();
  ASSERT_TRUE(r0);
  EXPECT_EQ(*r0, 0);
  Alert a = make_alert("s", "192.0.2.1", kT0);
  a.decisions = {make_decision("192.0.2.1", kT0, kT0 + hours(4)),
                 make_decision("192.0.2.0/24", kT0, kT0 + hours(4))};
  std::vector<Alert> alerts{a};
  ASSERT_TRUE(store_->insert_alerts(alerts));
  std::vector<Decision> loose{make_decision("198.51.100.1", kT0, kT0 + hours(1), "CAPI")};
  loose[0].uuid.clear();
  ASSERT_TRUE(store_->insert_decisions(loose));
  EXPECT_GT(loose[0].id, 0);
  EXPECT_EQ(loose[0].alert_id, 0);

  int64_t r1 = alerts[0].decisions[0].rev, r2 = alerts[0].decisions[1].rev, r3 = loose[0].rev;
  EXPECT_LT(0, r1);
  EXPECT_LT(r1, r2);
  EXPECT_LT(r2, r3);
  auto max = store_->max_rev();
  ASSERT_TRUE(max);
  EXPECT_EQ(*max, r3);

  std::vector<int64_t> ids{alerts[0].decisions[0].id};
  auto expired = store_->expire_decisions(ids, kT0 + minutes(5));
  ASSERT_TRUE(expired) << expired.error().message();
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_GT((*expired)[0].rev, r3);
  EXPECT_EQ((*expired)[0].until, kT0 + minutes(5));

  auto after = store_->decisions_after(r1);
  ASSERT_TRUE(after);
  // The expired row moved to the end; ascending rev, each row once.
  ASSERT_EQ(after->size(), 3u);
  EXPECT_EQ((*after)[0].id, alerts[0].decisions[1].id);
  EXPECT_EQ((*after)[1].id, loose[0].id);
  EXPECT_EQ((*after)[2].id, alerts[0].decisions[0].id);
  EXPECT_EQ((*after)[2].until, kT0 + minutes(5));
  for (size_t i = 1; i < after->size(); ++i)
    EXPECT_LT((*after)[i - 1].rev, (*after)[i].rev);
  auto none = store_->decisions_after((*expired)[0].rev);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_P(DecisionsTest, BatchesKeepEachDecisionWithItsAlert) {
  std::vector<Alert> alerts;
  for (int i = 0; i < 5; ++i) {
    std::string ip = "192.0.2." + std::to_string(i + 1);
    alerts.push_back(make_alert("s", ip, kT0));
    for (int k = 0; k < i % 3; ++k) {  // 0, 1, 2, 0, 1 decisions
      alerts.back().decisions.push_back(make_decision(ip, kT0, kT0 + hours(k + 1)));
    }
  }
  auto ids = store_->insert_alerts(alerts);
  ASSERT_TRUE(ids) << ids.error().message();
  int64_t last_rev = 0;
  for (size_t i = 0; i < alerts.size(); ++i) {
    EXPECT_EQ((*ids)[i], alerts[i].id);
    auto got = store_->get_alert(alerts[i].id);
    ASSERT_TRUE(got && got->has_value());
    ASSERT_EQ((*got)->decisions.size(), alerts[i].decisions.size()) << "alert " << i;
    for (size_t k = 0; k < alerts[i].decisions.size(); ++k) {
      const Decision& d = alerts[i].decisions[k];
      EXPECT_EQ(d.alert_id, alerts[i].id);
      EXPECT_EQ((*got)->decisions[k].id, d.id);
      EXPECT_EQ((*got)->decisions[k].value, alerts[i].source.value);
      EXPECT_EQ((*got)->decisions[k].rev, d.rev);
      EXPECT_GT(d.rev, last_rev);  // input order
      last_rev = d.rev;
    }
  }

  // More rows than one PostgreSQL pipeline chunk.
  std::vector<Decision> many;
  for (int i = 0; i < 700; ++i) {
    many.push_back(make_decision("198.51.100." + std::to_string(i % 250), kT0, kT0 + hours(1)));
  }
  ASSERT_TRUE(store_->insert_decisions(many));
  std::set<int64_t> distinct;
  for (size_t i = 0; i < many.size(); ++i) {
    distinct.insert(many[i].id);
    EXPECT_EQ(many[i].rev, last_rev + 1 + static_cast<int64_t>(i));
  }
  EXPECT_EQ(distinct.size(), many.size());
  auto after = store_->decisions_after(last_rev);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), many.size());
  EXPECT_EQ(after->back().id, many.back().id);

  // Expiring them all: several pipeline chunks again, one new rev each, in id order.
  std::vector<int64_t> many_ids;
  for (const auto& d : many)
    many_ids.push_back(d.id);
  auto expired = store_->expire_decisions(many_ids, kT0);
  ASSERT_TRUE(expired) << expired.error().message();
  ASSERT_EQ(expired->size(), many.size());
  int64_t base = many.back().rev;
  for (size_t i = 0; i < expired->size(); ++i) {
    EXPECT_EQ((*expired)[i].id, many[i].id);
    EXPECT_EQ((*expired)[i].rev, base + 1 + static_cast<int64_t>(i));
    EXPECT_EQ((*expired)[i].until, kT0);
  }
}

TEST_P(DecisionsTest, ExpireChangesOnlyActiveRowsOnce) {
  std::vector<Decision> d{make_decision("192.0.2.1", kT0 - hours(1), kT0 + hours(1)),
                          make_decision("192.0.2.2", kT0 - hours(2), kT0 - hours(1)),
                          make_decision("192.0.2.3", kT0 - hours(1), kT0 + hours(2))};
  ASSERT_TRUE(store_->insert_decisions(d));
  auto rev = store_->max_rev();
  ASSERT_TRUE(rev);
  // Duplicates, an expired row and an unknown id.
  std::vector<int64_t> ids{d[0].id, d[1].id, d[0].id, d[2].id + 100};
  auto changed = store_->expire_decisions(ids, kT0);
  ASSERT_TRUE(changed) << changed.error().message();
  ASSERT_EQ(changed->size(), 1u);
  EXPECT_EQ((*changed)[0].id, d[0].id);
  EXPECT_EQ((*changed)[0].until, kT0);
  EXPECT_EQ((*changed)[0].rev, *rev + 1);
  auto again = store_->expire_decisions(ids, kT0);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
  auto max = store_->max_rev();
  ASSERT_TRUE(max);
  EXPECT_EQ(*max, *rev + 1);

  std::vector<int64_t> many;
  for (int i = 0; i < 600; ++i)
    many.push_back(d[2].id);  // spans several id chunks
  auto big = store_->expire_decisions(many, kT0);
  ASSERT_TRUE(big);
  ASSERT_EQ(big->size(), 1u);
  EXPECT_EQ((*big)[0].id, d[2].id);
}

TEST_P(DecisionsTest, LoadReturnsActiveAndRecentlyExpiredRowsByAscendingId) {
  std::vector<Decision> d{make_decision("192.0.2.1", kT0, kT0 + hours(4)),
                          make_decision("192.0.2.2", kT0 - hours(5), kT0 - hours(3)),
                          make_decision("192.0.2.3", kT0 - hours(5), kT0 - minutes(30)),
                          make_decision("2001:db8::/64", kT0, kT0 + hours(1))};
  d[1].simulated = true;
  ASSERT_TRUE(store_->insert_decisions(d));
  auto rows = store_->load_decisions(kT0 - hours(1));
  ASSERT_TRUE(rows) << rows.error().message();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].id, d[0].id);
  EXPECT_EQ((*rows)[1].id, d[2].id);
  EXPECT_EQ((*rows)[2].id, d[3].id);
  EXPECT_EQ((*rows)[2].scope, "Range");
  EXPECT_EQ((*rows)[2].value, "2001:db8::/64");
  EXPECT_EQ((*rows)[0].uuid, "d-192.0.2.1");
  EXPECT_EQ((*rows)[0].created_at, kT0);
  auto all = store_->load_decisions(TimePoint{});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 4u);
  EXPECT_TRUE((*all)[1].simulated);
  EXPECT_FALSE((*all)[0].simulated);
}

TEST_P(DecisionsTest, CountHelpers) {
  std::vector<Decision> d{make_decision("192.0.2.1", kT0 - hours(5), kT0 - hours(1)),
                          make_decision("192.0.2.1", kT0 - hours(1), kT0 + hours(3)),
                          make_decision("192.0.2.1", kT0, kT0 + hours(8)),
                          make_decision("192.0.2.2", kT0, kT0 + hours(1))};
  ASSERT_TRUE(store_->insert_decisions(d));
  auto all = store_->count_decisions("192.0.2.1", std::nullopt);
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, 3);
  auto since = store_->count_decisions("192.0.2.1", kT0 - hours(2));
  ASSERT_TRUE(since);
  EXPECT_EQ(*since, 2);
  auto active = store_->count_active_decisions("192.0.2.1", kT0);
  ASSERT_TRUE(active);
  EXPECT_EQ(*active, 2);
  auto until = store_->active_decision_until("192.0.2.1", kT0);
  ASSERT_TRUE(until);
  ASSERT_TRUE(until->has_value());
  EXPECT_EQ(**until, kT0 + hours(8));
  auto nothing = store_->active_decision_until("203.0.113.9", kT0);
  ASSERT_TRUE(nothing);
  EXPECT_FALSE(nothing->has_value());
}

TEST_P(DecisionsTest, DecisionIpRangesAreStoredForSqlComparison) {
  std::vector<Decision> d{make_decision("192.0.2.7", kT0, kT0 + hours(1)),
                          make_decision("2001:db8::/32", kT0, kT0 + hours(1))};
  d.push_back(make_decision("FR", kT0, kT0 + hours(1)));
  d.back().scope = "Country";
  ASSERT_TRUE(store_->insert_decisions(d));
  auto conn = raw();
  ASSERT_TRUE(conn);
  std::vector<std::tuple<std::string, int64_t, size_t>> rows;
  auto r = conn->run("SELECT value, ip_size, length(ip_start) FROM decisions ORDER BY id", {},
                     [&](const Row& row) {
                       rows.emplace_back(row.str(0), row.i64(1),
                                         row.is_null(2) ? 0 : static_cast<size_t>(row.i64(2)));
                     });
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], std::make_tuple(std::string("192.0.2.7"), int64_t{4}, size_t{16}));
  EXPECT_EQ(rows[1], std::make_tuple(std::string("2001:db8::/32"), int64_t{16}, size_t{16}));
  EXPECT_EQ(rows[2], std::make_tuple(std::string("FR"), int64_t{0}, size_t{0}));
  // start <= an inside address <= end, compared as blobs by the database itself.
  std::vector<Value> p{Blob{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7}};
  int64_t hits = 0;
  ASSERT_TRUE(conn->run("SELECT count(*) FROM decisions WHERE ip_start <= ? AND ip_end >= ?",
                        std::vector<Value>{p[0], p[0]},
                        [&](const Row& row) { hits = row.i64(0); }));
  EXPECT_EQ(hits, 1);
}

// Bulk inserts (decisions import: one alert of up to 100k decisions) bind each row in turn: every
// row must come back with its own id, alert_id, rev and columns, ranges included.
TEST_P(DecisionsTest, LargeInsertFillsEveryRow) {
  constexpr int64_t kRows = 6000;
  Alert a = make_alert("import", "192.0.2.1", kT0);
  for (int64_t i = 0; i < kRows; ++i) {
    std::string value = "10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) +
                        "." + std::to_string(i % 256);
    if (i % 7 == 0) value = "2001:db8:" + std::to_string(i) + "::/48";
    a.decisions.push_back(make_decision(value, kT0, kT0 + hours(1 + i % 5)));
    if (i % 11 == 0) {
      a.decisions.back().scope = "Country";
      a.decisions.back().value = "C" + std::to_string(i);
    }
    a.decisions.back().uuid = "u-" + std::to_string(i);
    a.decisions.back().simulated = i % 3 == 0;
  }
  std::vector<Alert> alerts{a};
  ASSERT_TRUE(store_->insert_alerts(alerts));
  std::vector<Decision> loose;
  for (int64_t i = 0; i < kRows; ++i)
    loose.push_back(
        make_decision("198.51." + std::to_string(i / 256) + "." + std::to_string(i % 256), kT0,
                      kT0 + hours(2), "lists"));
  ASSERT_TRUE(store_->insert_decisions(loose));

  std::vector<Decision> inserted = alerts[0].decisions;
  inserted.insert(inserted.end(), loose.begin(), loose.end());
  for (size_t i = 0; i < inserted.size(); ++i) {
    const Decision& d = inserted[i];
    EXPECT_EQ(d.alert_id, i < static_cast<size_t>(kRows) ? alerts[0].id : 0) << i;
    EXPECT_EQ(d.rev, static_cast<int64_t>(i) + 1) << i;
    if (i > 0) {
      EXPECT_GT(d.id, inserted[i - 1].id) << i;
    }
  }
  auto stored = store_->decisions_after(0);
  ASSERT_TRUE(stored) << stored.error().message();
  ASSERT_EQ(stored->size(), inserted.size());
  for (size_t i = 0; i < inserted.size(); ++i) {
    const Decision& got = (*stored)[i];
    const Decision& want = inserted[i];
    ASSERT_EQ(got.id, want.id) << i;
    EXPECT_EQ(got.alert_id, want.alert_id) << i;
    EXPECT_EQ(got.rev, want.rev) << i;
    EXPECT_EQ(got.uuid, want.uuid) << i;
    EXPECT_EQ(got.value, want.value) << i;
    EXPECT_EQ(got.scope, want.scope) << i;
    EXPECT_EQ(got.until, want.until) << i;
    EXPECT_EQ(got.simulated, want.simulated) << i;
    EXPECT_EQ(got.origin, want.origin) << i;
  }
  // Each row's range is its own: one exact hit per address, none for Country rows.
  auto conn = raw();
  ASSERT_TRUE(conn);
  int64_t sized = 0, v4 = 0;
  ASSERT_TRUE(
      conn->run("SELECT count(*), sum(CASE WHEN ip_size = 4 THEN 1 ELSE 0 END) FROM "
                "decisions WHERE ip_start IS NOT NULL",
                {}, [&](const Row& row) {
                  sized = row.i64(0);
                  v4 = row.i64(1);
                }));
  int64_t country = 0, v6 = 0;
  for (int64_t i = 0; i < kRows; ++i) {
    if (i % 11 == 0)
      ++country;
    else if (i % 7 == 0)
      ++v6;
  }
  EXPECT_EQ(sized, 2 * kRows - country);
  EXPECT_EQ(v4, 2 * kRows - country - v6);
  std::vector<Value> p{Blob{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 20, 30}};
  int64_t hits = 0;
  ASSERT_TRUE(conn->run("SELECT count(*) FROM decisions WHERE ip_start <= ? AND ip_end >= ?",
                        std::vector<Value>{p[0], p[0]},
                        [&](const Row& row) { hits = row.i64(0); }));
  EXPECT_EQ(hits, 1);  // row 20 * 256 + 30 = 5150: neither IPv6 nor Country
}

INSTANTIATE_TEST_SUITE_P(Backends, DecisionsTest, ::testing::Values(kSqlite, kPostgres),
                         backend_name);

}  // namespace
}  // namespace phalanx::storage::test
