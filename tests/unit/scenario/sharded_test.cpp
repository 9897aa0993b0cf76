// SPDX-License-Identifier: Apache-2.0
// ShardedDetector against the single-threaded Detector: the same alerts in the same order over a
// generated multi-scenario input (leaky, trigger, distinct, cancel_on, blackhole, scenarios
// sharing buckets, reprocess into a range scenario), whatever the shard count.
#include <gtest/gtest.h>

#include <random>

#include "scenario/sharded_detector.h"
#include "scenario_fixture.h"

namespace phalanx::scenario {
namespace {

using testing::log_event;

class Sharded : public testing::ScenarioTest {
 protected:
  // One line per alert, with what the user sees of it.
  static std::vector<std::string> describe(const std::vector<parser::Event>& alerts) {
    std::vector<std::string> out;
    for (const auto& evt : alerts) {
      for (const auto& a : evt.overflow->api_alerts) {
        out.push_back(a.scenario + " " + a.source.scope + ":" + a.source.value + " " +
                      std::to_string(a.events_count) + " " + a.start_at + " " + a.stop_at + " " +
                      a.message);
      }
    }
    return out;
  }

  std::vector<std::string> run_single(const std::vector<parser::Event>& events,
                                      DetectorStats* stats = nullptr) {
    Detector detector(*set_, nullptr, nullptr, {.max_buckets = 0, .clock = &clock_}, {});
    std::vector<parser::Event> alerts;
    for (const auto& e : events)
      detector.feed(e, alerts);
    if (stats != nullptr) *stats = detector.stats();
    poured_single_ = detector.engine().stats().poured;
    return describe(alerts);
  }

  std::vector<std::string> run_sharded(const std::vector<parser::Event>& events, size_t shards,
                                       DetectorStats* stats = nullptr) {
    ShardedDetector detector(*set_, nullptr, nullptr, {.max_buckets = 0, .clock = &clock_}, {},
                             shards);
    used_ = detector.shards();
    std::vector<parser::Event> alerts;
    for (auto e : events)
      detector.feed(std::move(e), alerts);
    detector.flush(alerts);
    if (stats != nullptr) *stats = detector.stats();
    poured_sharded_ = detector.engine_stats().poured;
    return describe(alerts);
  }

  size_t used_ = 0;
  uint64_t poured_single_ = 0, poured_sharded_ = 0;
};

constexpr const char* kMix = R"(type: leaky
name: test/ssh-bf
description: d
filter: evt.Meta.log_type == 'ssh_failed-auth'
groupby: evt.Meta.source_ip
capacity: 3
leakspeed: 10s
labels:
  remediation: true
---
type: leaky
name: test/ssh-user-enum
description: d
filter: evt.Meta.log_type == 'ssh_failed-auth'
groupby: evt.Meta.source_ip
distinct: evt.Meta.user
capacity: 2
leakspeed: 20s
labels:
  remediation: true
---
type: trigger
name: test/http-probe
description: d
filter: evt.Meta.log_type == 'http_access-log' && evt.Meta.http_path startsWith '/admin'
groupby: evt.Meta.source_ip
blackhole: 30s
reprocess: true
labels:
  remediation: true
---
type: leaky
name: test/http-crawl
description: d
filter: evt.Meta.log_type == 'http_access-log'
groupby: evt.Meta.source_ip
cancel_on: evt.Meta.http_status == '200'
capacity: 4
leakspeed: 5s
labels:
  remediation: true
---
# The same scenario twice, on purpose: the two documents share their buckets.
type: leaky
name: test/http-crawl
description: d
filter: evt.Meta.log_type == 'http_access-log'
groupby: evt.Meta.source_ip
cancel_on: evt.Meta.http_status == '200'
capacity: 4
leakspeed: 5s
labels:
  remediation: true
---
type: trigger
name: test/any
description: d
filter: evt.Meta.user == 'root'
groupby: evt.Meta.source_ip
blackhole: 1m
labels:
  remediation: true
---
type: leaky
name: test/range
description: d
filter: evt.GetType() == 'overflow' && evt.Overflow.Alert.Remediation == true
groupby: evt.Overflow.Alert.Source.Range
distinct: evt.Overflow.Alert.Source.IP
capacity: 1
leakspeed: 1m
scope:
  type: Range
)";

// Events from a small set of sources, a second apart on average, mixing ssh failures and http
// requests; deterministic for a seed.
std::vector<parser::Event> generate(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<parser::Event> out;
  double t = 0;
  static const char* kPaths[] = {"/", "/index.html", "/admin/login", "/wp-login.php"};
  static const char* kUsers[] = {"root", "admin", "bob", "alice", "test", "git"};
  static const char* kStatus[] = {"404", "404", "403", "200"};
  for (size_t i = 0; i < n; ++i) {
    t += double(rng() % 1000) / 1000.0;
    const std::string ip = "10.0." + std::to_string(rng() % 3) + "." + std::to_string(rng() % 12);
    parser::Event e;
    if (rng() % 2 == 0) {
      e = log_event(ip, t);
      e.meta.set("user", kUsers[rng() % 6]);
    } else {
      e = log_event(ip, t, "http_access-log");
      e.meta.set("http_path", kPaths[rng() % 4]);
      e.meta.set("http_status", kStatus[rng() % 4]);
    }
    e.meta.set("SourceRange", "10.0." + ip.substr(5, 1) + ".0/24");
    out.push_back(std::move(e));
  }
  return out;
}

TEST_F(Sharded, SameAlertsInTheSameOrderAsOneThreadForAnyShardCount) {
  load(kMix);
  const auto events = generate(4000, 1);
  DetectorStats single_stats;
  const auto single = run_single(events, &single_stats);
  // The input exercises every path the comparison is about.
  ASSERT_GT(single.size(), 100u);
  EXPECT_GT(single_stats.reprocessed, 10u);
  size_t ranges = 0;
  for (const auto& line : single)
    ranges += line.starts_with("test/range ") ? 1 : 0;
  EXPECT_GT(ranges, 0u);
  for (size_t shards : {1, 2, 3, 4}) {
    DetectorStats stats;
    EXPECT_EQ(run_sharded(events, shards, &stats), single) << shards << " shards";
    EXPECT_EQ(used_, shards);
    EXPECT_EQ(stats.alerts, single_stats.alerts);
    EXPECT_EQ(stats.reprocessed, single_stats.reprocessed);
    EXPECT_EQ(poured_sharded_, poured_single_);
  }
}

TEST_F(Sharded, MoreShardsThanScenariosRunsOneShardPerBucketFamily) {
  load(kMix);
  const auto events = generate(1500, 7);
  const auto single = run_single(events);
  ASSERT_FALSE(single.empty());
  EXPECT_EQ(run_sharded(events, 64, nullptr), single);
  // Seven scenarios: two share their buckets and test/range (which reprocessed overflows reach)
  // is the coordinator's.
  EXPECT_EQ(used_, 5u);
}

TEST_F(Sharded, ScenariosSharingBucketsLiveInOneShardAndOverflowConsumersOnTheCoordinator) {
  load(kMix);
  ShardedDetector detector(*set_, nullptr, nullptr, {.max_buckets = 0, .clock = &clock_}, {}, 6);
  const auto& a = detector.assignment();
  ASSERT_EQ(a.size(), 7u);
  EXPECT_EQ(a[3], a[4]);               // the two test/http-crawl documents
  EXPECT_EQ(a[6], detector.shards());  // test/range
  EXPECT_LT(a[2], detector.shards());  // test/http-probe (reprocess) runs in a shard
  std::vector<size_t> per_shard(detector.shards() + 1);
  for (uint32_t s : a)
    ++per_shard[s];
  for (size_t n : per_shard)
    EXPECT_GE(n, 1u);
}

TEST_F(Sharded, AFilterThatChangesTheEventKeepsEveryScenarioOnOneShard) {
  // The second scenario only matches events the first one's filter tagged.
  load(R"(type: trigger
name: test/tag
description: d
filter: evt.Meta.log_type == 'ssh_failed-auth' && evt.SetMeta('tagged', 'yes')
groupby: evt.Meta.source_ip
blackhole: 1m
labels:
  remediation: true
---
type: leaky
name: test/tagged
description: d
filter: evt.Meta.log_type == 'ssh_failed-auth' && evt.Meta.tagged == 'yes'
groupby: evt.Meta.source_ip
capacity: 2
leakspeed: 10s
labels:
  remediation: true
)");
  const auto events = generate(600, 5);
  const auto single = run_single(events);
  ASSERT_FALSE(single.empty());
  EXPECT_EQ(run_sharded(events, 2, nullptr), single);
  EXPECT_EQ(used_, 1u);
}

TEST_F(Sharded, OneShardRunsOnTheCallersThreadWithTheSameAlerts) {
  load(kMix);
  const auto events = generate(800, 3);
  EXPECT_EQ(run_sharded(events, 1, nullptr), run_single(events));
  EXPECT_EQ(used_, 1u);
}

TEST_F(Sharded, TheCapIsSplitBetweenShardsAndEvictionsAreCounted) {
  load(R"(type: leaky
name: a
description: d
filter: evt.Meta.log_type == 'ssh_failed-auth'
groupby: evt.Meta.source_ip
capacity: 5
leakspeed: 1m
---
type: leaky
name: b
description: d
filter: evt.Meta.log_type == 'ssh_failed-auth'
groupby: evt.Meta.source_ip + 'b'
capacity: 5
leakspeed: 1m
)");
  ShardedDetector detector(*set_, nullptr, nullptr, {.max_buckets = 200, .clock = &clock_}, {}, 2);
  ASSERT_EQ(detector.shards(), 2u);
  std::vector<parser::Event> alerts;
  for (int i = 0; i < 1000; ++i) {
    detector.feed(
        log_event("10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250), i * 0.001),
        alerts);
  }
  detector.flush(alerts);
  EXPECT_TRUE(alerts.empty());
  EXPECT_LE(detector.bucket_count(), 200u);
  EXPECT_GE(detector.engine_stats().evicted, 1800u);
  EXPECT_EQ(detector.bucket_count() + detector.engine_stats().evicted, 2000u);
}

TEST_F(Sharded, TickFiresLiveCountersInEveryShard) {
  load(R"(type: counter
name: c1
description: d
filter: evt.Meta.log_type == 'ssh_failed-auth'
groupby: evt.Meta.source_ip
duration: 10s
capacity: -1
labels:
  remediation: true
---
type: counter
name: c2
description: d
filter: evt.Meta.log_type == 'http_access-log'
groupby: evt.Meta.source_ip
duration: 10s
capacity: -1
labels:
  remediation: true
)");
  ShardedDetector detector(*set_, nullptr, nullptr, {.max_buckets = 0, .clock = &clock_}, {}, 2);
  std::vector<parser::Event> alerts;
  for (auto type : {"ssh_failed-auth", "http_access-log"}) {
    auto e = log_event("1.2.3.4", 0, type);
    e.expect_mode = parser::ExpectMode::kLive;
    detector.feed(std::move(e), alerts);
  }
  detector.tick(alerts);
  EXPECT_TRUE(alerts.empty());
  clock_.advance(std::chrono::seconds(11));
  detector.tick(alerts);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(detector.bucket_count(), 0u);
}

}  // namespace
}  // namespace phalanx::scenario
