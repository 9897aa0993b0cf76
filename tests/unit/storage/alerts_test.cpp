// SPDX-License-Identifier: Apache-2.0
// Alerts: round trip, meta limits, filters (spec §1.6), delete, flush.
#include <gtest/gtest.h>

#include <algorithm>

#include "storage/codec.h"
#include "store_fixture.h"

namespace phalanx::storage::test {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

class AlertsTest : public StoreTest {
 protected:
  int64_t insert(Alert a) {
    std::vector<Alert> v{std::move(a)};
    auto ids = store_->insert_alerts(v);
    EXPECT_TRUE(ids) << ids.error().message();
    return ids && !ids->empty() ? ids->front() : 0;
  }

  std::vector<int64_t> ids_of(const AlertFilter& f) {
    auto alerts = store_->query_alerts(f, kT0);
    EXPECT_TRUE(alerts) << alerts.error().message();
    std::vector<int64_t> ids;
    if (alerts) {
      for (const auto& a : *alerts)
        ids.push_back(a.id);
    }
    return ids;
  }
};

TEST_P(AlertsTest, RoundTripKeepsEveryField) {
  Alert a = make_alert("crowdsecurity/ssh-bf", "192.0.2.7", kT0);
  a.source.range = "192.0.2.0/24";
  a.source.as_name = "EXAMPLE-AS";
  a.source.as_number = "64500";
  a.source.cn = "FR";
  a.source.latitude = 48.5f;
  a.source.longitude = 2.25f;
  a.simulated = true;
  a.labels = {"a", "b"};
  a.meta = {{"target_user", "[\"root\"]"}, {"service", "[\"ssh\"]"}};
  a.events = {{"2023-11-14T22:13:10Z", {{"log_type", "ssh_failed-auth"}, {"user", "root"}}},
              {"2023-11-14T22:13:11Z", {}}};
  a.decisions.push_back(make_decision("192.0.2.7", kT0, kT0 + hours(4)));
  std::vector<Alert> in{a};
  auto ids = store_->insert_alerts(in);
  ASSERT_TRUE(ids) << ids.error().message();
  ASSERT_EQ(ids->size(), 1u);
  EXPECT_EQ(in[0].id, (*ids)[0]);
  EXPECT_GT(in[0].decisions[0].id, 0);
  EXPECT_EQ(in[0].decisions[0].alert_id, in[0].id);
  EXPECT_GT(in[0].decisions[0].rev, 0);

  auto got = store_->get_alert((*ids)[0]);
  ASSERT_TRUE(got) << got.error().message();
  ASSERT_TRUE(got->has_value());
  const Alert& g = **got;
  EXPECT_EQ(g.uuid, a.uuid);
  EXPECT_EQ(g.machine_id, "machine-1");
  EXPECT_EQ(g.created_at, kT0);
  EXPECT_EQ(g.start_at, a.start_at);
  EXPECT_EQ(g.stop_at, a.stop_at);
  EXPECT_EQ(g.scenario, a.scenario);
  EXPECT_EQ(g.scenario_hash, "hash");
  EXPECT_EQ(g.scenario_version, "0.1");
  EXPECT_EQ(g.message, a.message);
  EXPECT_EQ(g.leakspeed, "10s");
  EXPECT_EQ(g.kind, "crowdsec");
  EXPECT_EQ(g.capacity, 5);
  EXPECT_EQ(g.events_count, 6);
  EXPECT_TRUE(g.simulated);
  EXPECT_TRUE(g.remediation);
  EXPECT_EQ(g.source.scope, "Ip");
  EXPECT_EQ(g.source.value, "192.0.2.7");
  EXPECT_EQ(g.source.range, "192.0.2.0/24");
  EXPECT_EQ(g.source.as_name, "EXAMPLE-AS");
  EXPECT_EQ(g.source.as_number, "64500");
  EXPECT_EQ(g.source.cn, "FR");
  EXPECT_FLOAT_EQ(g.source.latitude, 48.5f);
  EXPECT_FLOAT_EQ(g.source.longitude, 2.25f);
  EXPECT_EQ(g.labels, a.labels);
  ASSERT_EQ(g.meta.size(), 2u);
  EXPECT_EQ(g.meta[0].key, "target_user");
  EXPECT_EQ(g.meta[0].value, "[\"root\"]");
  ASSERT_EQ(g.events.size(), 2u);
  EXPECT_EQ(g.events[0].timestamp, "2023-11-14T22:13:10Z");
  ASSERT_EQ(g.events[0].meta.size(), 2u);
  EXPECT_EQ(g.events[0].meta[1].key, "user");
  EXPECT_EQ(g.events[0].meta[1].value, "root");
  ASSERT_EQ(g.decisions.size(), 1u);
  const Decision& d = g.decisions[0];
  EXPECT_EQ(d.id, in[0].decisions[0].id);
  EXPECT_EQ(d.alert_id, g.id);
  EXPECT_EQ(d.until, kT0 + hours(4));
  EXPECT_EQ(d.value, "192.0.2.7");
  EXPECT_EQ(d.scope, "Ip");
  EXPECT_EQ(d.origin, "crowdsec");
  EXPECT_EQ(d.rev, in[0].decisions[0].rev);

  auto missing = store_->get_alert(g.id + 1000);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST_P(AlertsTest, MetaIsTruncatedToTheColumnLimits) {
  Alert a = make_alert("s", "192.0.2.1", kT0);
  std::string long_key(300, 'k');
  std::string long_value(5000, 'v');
  // A two-byte character straddling the cut must not be split.
  std::string utf8_value = std::string(4094, 'x') + "\xc3\xa9";
  a.meta = {{long_key, long_value}, {"u", utf8_value}};
  a.events = {{"t", {{"big", std::string(9000, 'e')}, {"small", "s"}}}};
  int64_t id = insert(a);
  auto got = store_->get_alert(id);
  ASSERT_TRUE(got && got->has_value());
  const Alert& g = **got;
  ASSERT_EQ(g.meta.size(), 2u);
  EXPECT_EQ(g.meta[0].key, std::string(255, 'k'));
  EXPECT_EQ(g.meta[0].value, std::string(4095, 'v'));
  EXPECT_EQ(g.meta[1].value, std::string(4094, 'x'));
  ASSERT_EQ(g.events.size(), 1u);
  ASSERT_EQ(g.events[0].meta.size(), 2u);
  EXPECT_EQ(g.events[0].meta[0].value, std::string(1000, 'e') + "<stripped>");
  EXPECT_EQ(g.events[0].meta[1].value, "s");
}

TEST_P(AlertsTest, FiltersOnSourceScenarioKindAndTime) {
  Alert a1 = make_alert("crowdsecurity/ssh-bf", "192.0.2.1", kT0 - hours(3));
  Alert a2 = make_alert("crowdsecurity/http-probing", "192.0.2.2", kT0 - hours(2));
  a2.kind = "waf";
  a2.simulated = true;
  Alert a3 = make_alert("crowdsecurity/ssh-bf", "2001:db8::5", kT0 - hours(1));
  a3.source.scope = "Ip";
  int64_t id1 = insert(a1), id2 = insert(a2), id3 = insert(a3);

  AlertFilter all;
  EXPECT_EQ(ids_of(all), (std::vector<int64_t>{id3, id2, id1}));  // newest first
  AlertFilter asc;
  asc.ascending = true;
  EXPECT_EQ(ids_of(asc), (std::vector<int64_t>{id1, id2, id3}));

  AlertFilter f;
  f.scenario = "crowdsecurity/ssh-bf";
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{id3, id1}));
  f = {};
  f.value = "192.0.2.2";
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{id2}));
  f = {};
  f.scope = "Range";
  EXPECT_TRUE(ids_of(f).empty());
  f = {};
  f.kind = "waf";
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{id2}));
  f = {};
  f.simulated = false;
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{id3, id1}));
  f = {};
  f.simulated = true;
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{id2}));
  f = {};
  f.since = kT0 - hours(2);
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{id3, id2}));
  f = {};
  f.until = kT0 - hours(2);
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{id2, id1}));
  f = {};
  f.since = kT0 - hours(2) - minutes(30);
  f.until = kT0 - minutes(90);
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{id2}));
}

TEST_P(AlertsTest, IpAndRangeFiltersWithAndWithoutContains) {
  int64_t host = insert(make_alert("s", "10.1.2.3", kT0 - hours(4)));
  Alert range = make_alert("s", "10.1.0.0/16", kT0 - hours(3));
  range.source.scope = "Range";
  range.source.ip = "";
  int64_t net = insert(range);
  int64_t v6 = insert(make_alert("s", "2001:db8::1", kT0 - hours(2)));
  // No address in the source, but a Range decision: matched through its decision.
  Alert custom = make_alert("s", "alice", kT0 - hours(1));
  custom.source.scope = "username";
  custom.source.ip = "";
  custom.decisions.push_back(make_decision("172.16.0.0/12", kT0, kT0 + hours(1)));
  int64_t by_decision = insert(custom);

  AlertFilter f;
  f.ip = "10.1.2.3";  // contains: sources whose range holds the address
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{net, host}));
  f.ip = "10.1.9.9";
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{net}));
  f = {};
  f.range = "10.0.0.0/8";
  EXPECT_TRUE(ids_of(f).empty());  // nothing contains all of 10/8
  f.contains = false;              // sources inside 10/8
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{net, host}));
  f.range = "10.1.2.0/24";
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{host}));
  f = {};
  f.ip = "2001:db8::1";
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{v6}));
  f = {};
  f.range = "::/0";  // IPv6 only: IPv4 sources have another address size
  f.contains = false;
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{v6}));
  f = {};
  f.ip = "172.16.5.5";
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{by_decision}));
  f = {};
  f.ip = "not-an-ip";
  auto bad = store_->query_alerts(f, kT0);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("parsing ip filter 'not-an-ip'"), std::string::npos)
      << bad.error().message();
}

TEST_P(AlertsTest, FiltersOnDecisions) {
  Alert banned = make_alert("s", "192.0.2.1", kT0 - hours(3));
  banned.decisions.push_back(make_decision("192.0.2.1", kT0 - hours(3), kT0 + hours(1)));
  Alert captcha = make_alert("s", "192.0.2.2", kT0 - hours(2));
  captcha.decisions.push_back(
      make_decision("192.0.2.2", kT0 - hours(2), kT0 - hours(1), "cscli", "captcha"));
  Alert capi = make_alert("community", "192.0.2.3", kT0 - hours(1));
  capi.decisions.push_back(make_decision("192.0.2.3", kT0, kT0 + hours(24), "CAPI"));
  Alert bare = make_alert("s", "192.0.2.4", kT0);
  int64_t ib = insert(banned), ic = insert(captcha), icapi = insert(capi), ibare = insert(bare);

  AlertFilter f;
  f.decision_type = "captcha";
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{ic}));
  f = {};
  f.origin = "CAPI";
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{icapi}));
  f = {};
  f.include_capi = false;
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{ibare, ic, ib}));
  f = {};
  f.has_active_decision = true;
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{icapi, ib}));
  f.has_active_decision = false;
  EXPECT_EQ(ids_of(f), (std::vector<int64_t>{ibare, ic}));
  f = {};
  f.with_decisions = false;
  auto no_decisions = store_->query_alerts(f, kT0);
  ASSERT_TRUE(no_decisions);
  ASSERT_EQ(no_decisions->size(), 4u);
  for (const auto& a : *no_decisions)
    EXPECT_TRUE(a.decisions.empty());
  f.with_decisions = true;
  auto with = store_->query_alerts(f, kT0);
  ASSERT_TRUE(with);
  EXPECT_EQ((*with)[1].decisions.size(), 1u);
  EXPECT_EQ((*with)[1].decisions[0].origin, "CAPI");
}

TEST_P(AlertsTest, LimitDefaultsToOneHundredAndZeroMeansAll) {
  std::vector<Alert> batch;
  for (int i = 0; i < 130; ++i)
    batch.push_back(make_alert("s", "192.0.2.1", kT0 + seconds(i)));
  ASSERT_TRUE(store_->insert_alerts(batch));
  AlertFilter f;
  EXPECT_EQ(ids_of(f).size(), 100u);
  EXPECT_EQ(ids_of(f).front(), batch.back().id);
  f.limit = 0;
  EXPECT_EQ(ids_of(f).size(), 130u);
  f.limit = 7;
  f.ascending = true;
  auto ids = ids_of(f);
  ASSERT_EQ(ids.size(), 7u);
  EXPECT_EQ(ids.front(), batch.front().id);
}

TEST_P(AlertsTest, DeleteRemovesAlertsAndExpiresTheirActiveDecisions) {
  Alert keep = make_alert("keep", "192.0.2.1", kT0);
  keep.decisions.push_back(make_decision("192.0.2.1", kT0, kT0 + hours(4)));
  Alert drop = make_alert("drop", "192.0.2.2", kT0);
  drop.decisions.push_back(make_decision("192.0.2.2", kT0, kT0 + hours(4)));             // active
  drop.decisions.push_back(make_decision("192.0.2.2", kT0 - hours(5), kT0 - hours(1)));  // old
  std::vector<Alert> in{keep, drop};
  ASSERT_TRUE(store_->insert_alerts(in));
  auto rev_before = store_->max_rev();
  ASSERT_TRUE(rev_before);

  AlertFilter f;
  f.scenario = "drop";
  auto n = store_->delete_alerts(f, kT0);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 1);
  auto left = store_->query_alerts({}, kT0);
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].scenario, "keep");

  // The active decision is now expired with a new rev and no alert; the old one is gone.
  auto changed = store_->decisions_after(*rev_before);
  ASSERT_TRUE(changed);
  ASSERT_EQ(changed->size(), 1u);
  EXPECT_EQ((*changed)[0].id, in[1].decisions[0].id);
  EXPECT_EQ((*changed)[0].until, kT0);
  EXPECT_EQ((*changed)[0].alert_id, 0);
  auto rows = store_->load_decisions(TimePoint{});
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 2u);
  for (const auto& d : *rows)
    EXPECT_NE(d.id, in[1].decisions[1].id);

  auto none = store_->delete_alerts(f, kT0);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);
}

TEST_P(AlertsTest, FlushRemovesOldRowsButKeepsAlertsWithActiveDecisions) {
  Alert old_banned = make_alert("old-banned", "192.0.2.1", kT0 - hours(24 * 10));
  old_banned.decisions.push_back(make_decision("192.0.2.1", kT0 - hours(240), kT0 + hours(1)));
  Alert old_plain = make_alert("old-plain", "192.0.2.2", kT0 - hours(24 * 10));
  old_plain.decisions.push_back(make_decision("192.0.2.2", kT0 - hours(240), kT0 - hours(236)));
  Alert recent = make_alert("recent", "192.0.2.3", kT0 - hours(1));
  std::vector<Alert> in{old_banned, old_plain, recent};
  ASSERT_TRUE(store_->insert_alerts(in));
  std::vector<Decision> loose{make_decision("198.51.100.1", kT0 - hours(300), kT0 - hours(200)),
                              make_decision("198.51.100.2", kT0 - hours(2), kT0 - hours(1))};
  ASSERT_TRUE(store_->insert_decisions(loose));

  FlushPolicy policy;  // 7 days for both, 5000 items
  auto stats = store_->flush(policy, kT0);
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->alerts_removed, 1);
  EXPECT_EQ(stats->decisions_removed, 2);  // old_plain's and the 200h-old loose one
  auto alerts = store_->query_alerts({}, kT0);
  ASSERT_TRUE(alerts);
  ASSERT_EQ(alerts->size(), 2u);
  EXPECT_EQ((*alerts)[0].scenario, "recent");
  EXPECT_EQ((*alerts)[1].scenario, "old-banned");

  // max_items: the newest alerts are kept up to the cap.
  for (int i = 0; i < 3; ++i) {
    std::vector<Alert> more{make_alert("more", "192.0.2.9", kT0 - minutes(30 - i))};
    ASSERT_TRUE(store_->insert_alerts(more));
  }
  policy.alert_max_age.reset();
  policy.alert_max_items = 2;
  stats = store_->flush(policy, kT0);
  ASSERT_TRUE(stats);
  // The two newest ("more" at -29m and -28m) are kept, and "old-banned" for its active decision;
  // "recent" and the oldest "more" go.
  EXPECT_EQ(stats->alerts_removed, 2);
  alerts = store_->query_alerts({}, kT0);
  ASSERT_TRUE(alerts);
  ASSERT_EQ(alerts->size(), 3u);
  EXPECT_EQ((*alerts)[0].created_at, kT0 - minutes(28));
  EXPECT_EQ((*alerts)[1].created_at, kT0 - minutes(29));
  EXPECT_EQ((*alerts)[2].scenario, "old-banned");
}

INSTANTIATE_TEST_SUITE_P(Backends, AlertsTest, ::testing::Values(kSqlite, kPostgres), backend_name);

}  // namespace
}  // namespace phalanx::storage::test
