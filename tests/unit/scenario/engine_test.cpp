// SPDX-License-Identifier: Apache-2.0
// The bucket semantics of spec §3.3 and §3.4, one behaviour per test, with event times given
// explicitly (time-machine mode) or a manual clock (live mode).
#include "scenario/engine.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "scenario_fixture.h"

namespace phalanx::scenario {
namespace {

using testing::at;
using testing::log_event;
using namespace std::chrono_literals;

class Buckets : public testing::ScenarioTest {};

constexpr const char* kLeaky = R"(type: leaky
name: test/leaky
description: d
filter: evt.Meta.log_type == 'ssh_failed-auth'
groupby: evt.Meta.source_ip
capacity: 1
leakspeed: 10s
labels:
  remediation: true
)";

TEST_F(Buckets, LeakyOverflowsOnTheCapacityPlusOnethEventWithinTheWindow) {
  load(kLeaky);
  // The reference fixture: capacity 1, 10s; events at +0s and +5s.
  auto out = pour({log_event("1.2.3.4", 0), log_event("1.2.3.4", 5)});
  ASSERT_EQ(out.size(), 1u);
  const auto& a = alert(out[0]);
  EXPECT_EQ(a.scenario, "test/leaky");
  EXPECT_EQ(a.events_count, 2);
  EXPECT_EQ(a.capacity, 1);
  EXPECT_EQ(a.leakspeed, "10s");
  EXPECT_EQ(a.start_at, "2026-11-23T10:00:00Z");
  EXPECT_EQ(a.stop_at, "2026-11-23T10:00:05Z");
  EXPECT_TRUE(a.remediation);
  EXPECT_EQ(a.source.scope, "Ip");
  EXPECT_EQ(a.source.value, "1.2.3.4");
  EXPECT_EQ(a.source.ip, "1.2.3.4");
  EXPECT_EQ(
      a.message,
      "Ip 1.2.3.4 performed 'test/leaky' (2 events over 5s) at 2026-11-23 10:00:05 +0000 UTC");
  ASSERT_EQ(a.events.size(), 2u);
  EXPECT_EQ(a.events[1].timestamp, "2026-11-23T10:00:05Z");
  EXPECT_EQ(a.events[0].meta[0].key, "log_type");  // keys sorted
  EXPECT_EQ(a.scenario_hash.size(), 64u);
  EXPECT_EQ(engine_->bucket_count(), 0u);  // the bucket died with its overflow
}

TEST_F(Buckets, FiltersAndBucketsShareOneCopyOfTheEvent) {
  // test/tagger's filter tags every event after test/first's bucket took it, as hub filters
  // call SetMeta: the bucket holds the tagged event, as CrowdSec's buckets hold a pointer to it.
  load(R"(type: leaky
name: test/first
description: d
filter: 'true'
groupby: evt.Meta.source_ip
capacity: 1
leakspeed: 10s
---
type: trigger
name: test/tagger
description: d
filter: evt.SetMeta('tagged', 'yes') && false
)");
  std::vector<parser::Event> out;
  const auto first = log_event("1.2.3.4", 0);
  engine_->pour(first, out);
  EXPECT_FALSE(first.meta.contains("tagged"));  // the caller's event is left as it was
  engine_->pour(log_event("1.2.3.4", 5), out);  // overflows before test/tagger sees it
  ASSERT_EQ(out.size(), 1u);
  const auto& a = alert(out[0]);
  ASSERT_EQ(a.events.size(), 2u);
  auto tagged = [](const parser::AlertEvent& e) {
    return std::any_of(e.meta.begin(), e.meta.end(),
                       [](const parser::MetaItem& m) { return m.key == "tagged"; });
  };
  EXPECT_TRUE(tagged(a.events[0]));
  EXPECT_FALSE(tagged(a.events[1]));
}

TEST_F(Buckets, LeakyDoesNotOverflowWhenEventsAreSpreadBeyondTheLeak) {
  load(kLeaky);
  EXPECT_TRUE(pour({log_event("1.2.3.4", 0), log_event("1.2.3.4", 10)}).empty());
  EXPECT_TRUE(pour({log_event("1.2.3.4", 20), log_event("1.2.3.4", 30.5)}).empty());
}

TEST_F(Buckets, GroupbyKeepsSourcesApart) {
  load(kLeaky);
  EXPECT_TRUE(pour({log_event("1.2.3.4", 0), log_event("5.6.7.8", 1)}).empty());
  EXPECT_EQ(engine_->bucket_count(), 2u);
}

TEST_F(Buckets, StaleBucketIsDiscardedWithoutAlertAndANewOneStarts) {
  load(R"(type: leaky
name: test/leaky5
description: d
filter: 'true'
groupby: evt.Meta.source_ip
capacity: 5
leakspeed: 10s
)");
  // Five events at once, then one 61 s later: past last + (5+1)·10s, so the full bucket is
  // discarded and the late event starts a fresh one instead of overflowing.
  std::vector<parser::Event> events;
  for (int i = 0; i < 5; ++i)
    events.push_back(log_event("1.2.3.4", 0));
  events.push_back(log_event("1.2.3.4", 61));
  EXPECT_TRUE(pour(events).empty());
  EXPECT_EQ(engine_->stats().expired, 1u);
  // 59 s after the last one would not be stale: the sixth event overflows.
  load(R"(type: leaky
name: test/leaky5
description: d
filter: 'true'
groupby: evt.Meta.source_ip
capacity: 5
leakspeed: 10s
)");
  events.back() = log_event("1.2.3.4", 0.5);
  EXPECT_EQ(pour(events).size(), 1u);
}

TEST_F(Buckets, EventsWithoutMarshaledTimeAreNotCountedByLeakyButTriggersStillFire) {
  load(kLeaky);
  auto untimed = log_event("1.2.3.4", 0);
  untimed.marshaled_time.clear();
  EXPECT_TRUE(pour({untimed, untimed, untimed}).empty());
  EXPECT_EQ(engine_->stats().untimed, 3u);
  load("type: trigger\nname: t\ndescription: d\nfilter: 'true'\ngroupby: evt.Meta.source_ip\n");
  EXPECT_EQ(pour({untimed}).size(), 1u);
}

TEST_F(Buckets, TriggerOverflowsOnEveryEvent) {
  load("type: trigger\nname: t\ndescription: d\nfilter: 'true'\ngroupby: evt.Meta.source_ip\n");
  auto out = pour({log_event("1.2.3.4", 0), log_event("1.2.3.4", 1)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(alert(out[0]).events_count, 1);
  EXPECT_EQ(alert(out[0]).leakspeed, "0s");
  EXPECT_EQ(alert(out[0]).capacity, 0);
  EXPECT_FALSE(alert(out[0]).remediation);
}

TEST_F(Buckets, BlackholeDiscardsRepeatsOfTheSameKeyByLogTime) {
  load(
      "type: trigger\nname: t\ndescription: d\nfilter: 'true'\ngroupby: evt.Meta.source_ip\n"
      "blackhole: 1m\n");
  // As the reference fixture: overflow at 10:00:04; 10:00:16 is dropped; 10:01:16 passes.
  auto out = pour({log_event("1.2.3.4", 4), log_event("1.2.3.4", 16), log_event("1.2.3.4", 76)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(alert(out[1]).stop_at, "2026-11-23T10:01:16Z");
  EXPECT_EQ(engine_->stats().discarded, 1u);
  // Another key is not affected.
  EXPECT_EQ(pour({log_event("5.6.7.8", 17)}).size(), 1u);
}

TEST_F(Buckets, TriggerWithoutGroupbyIsOneBucketSoItsBlackholeCoversEverySource) {
  load("type: trigger\nname: t\ndescription: d\nfilter: 'true'\nblackhole: 1m\n");
  auto out = pour({log_event("1.2.3.4", 0), log_event("5.6.7.8", 1)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(alert(out[0]).source.value, "1.2.3.4");
}

TEST_F(Buckets, DistinctDropsRepeatedValuesBeforeCounting) {
  load(R"(type: leaky
name: test/distinct
description: d
filter: 'true'
groupby: evt.Meta.source_ip
distinct: evt.Meta.user
capacity: 2
leakspeed: 1m
)");
  auto user = [](std::string u, double t) {
    auto e = log_event("1.2.3.4", t);
    e.meta.set("user", u);
    return e;
  };
  EXPECT_TRUE(pour({user("a", 0), user("a", 1), user("a", 2), user("b", 3)}).empty());
  auto out = pour({user("b", 4), user("c", 5)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(alert(out[0]).events_count, 3);  // a, b, c: duplicates are not counted
}

TEST_F(Buckets, CancelOnKillsTheBucketSilently) {
  load(R"(type: leaky
name: test/cancel
description: d
filter: 'true'
groupby: evt.Meta.source_ip
cancel_on: evt.Meta.log_type == 'auth_success'
capacity: 2
leakspeed: 1m
)");
  EXPECT_TRUE(pour({log_event("1.2.3.4", 0), log_event("1.2.3.4", 1),
                    log_event("1.2.3.4", 2, "auth_success")})
                  .empty());
  EXPECT_EQ(engine_->stats().canceled, 1u);
  EXPECT_EQ(engine_->bucket_count(), 0u);
  // The next failure starts from an empty bucket.
  EXPECT_TRUE(pour({log_event("1.2.3.4", 3), log_event("1.2.3.4", 4)}).empty());
}

TEST_F(Buckets, OverflowFilterFalseDiscardsAndDoesNotArmTheBlackhole) {
  load(R"(type: trigger
name: test/of
description: d
filter: 'true'
groupby: evt.Meta.source_ip
overflow_filter: all(queue.Queue, {.Meta.log_type != 'benign'}) && signal.Alert.GetScenario() == 'test/of'
blackhole: 1m
)");
  EXPECT_TRUE(pour({log_event("1.2.3.4", 0, "benign")}).empty());
  EXPECT_EQ(pour({log_event("1.2.3.4", 1)}).size(), 1u);
}

TEST_F(Buckets, BlackholeStillHidesRepeatsThatPassTheOverflowFilter) {
  load(R"(type: trigger
name: test/of
description: d
filter: 'true'
groupby: evt.Meta.source_ip
overflow_filter: signal.Alert.GetScenario() == 'test/of'
blackhole: 1m
)");
  auto out = pour({log_event("1.2.3.4", 0), log_event("1.2.3.4", 30), log_event("1.2.3.4", 70)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(alert(out[1]).stop_at, "2026-11-23T10:01:10Z");
  EXPECT_EQ(engine_->stats().discarded, 1u);
}

TEST_F(Buckets, CounterNeverOverflowsInReplayAndOverflowsOnTheClockWhenLive) {
  const char* counter = R"(type: counter
name: test/counter
description: d
filter: 'true'
groupby: evt.Meta.source_ip
capacity: -1
duration: 10s
)";
  load(counter);
  std::vector<parser::Event> events;
  for (int i = 0; i < 100; ++i)
    events.push_back(log_event("1.2.3.4", i));
  EXPECT_TRUE(pour(events).empty());

  load(counter);
  std::vector<parser::Event> out;
  for (auto e : events) {
    e.expect_mode = parser::ExpectMode::kLive;
    e.marshaled_time.clear();
    engine_->pour(e, out);
    clock_.advance(1s);
    engine_->tick(out);
    if (!out.empty()) break;
  }
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(alert(out[0]).events_count, 10);
  EXPECT_EQ(alert(out[0]).capacity, -1);
}

TEST_F(Buckets, LiveLeakyBucketUnderflowsSilentlyWhenItsLifetimeEnds) {
  load(kLeaky);
  auto e = log_event("1.2.3.4", 0);
  e.expect_mode = parser::ExpectMode::kLive;
  std::vector<parser::Event> out;
  engine_->pour(e, out);
  EXPECT_EQ(engine_->bucket_count(), 1u);
  clock_.advance(19s);
  engine_->tick(out);
  EXPECT_EQ(engine_->bucket_count(), 1u);
  clock_.advance(2s);  // (capacity + 1) · leakspeed = 20 s without a pour
  engine_->tick(out);
  EXPECT_EQ(engine_->bucket_count(), 0u);
  EXPECT_TRUE(out.empty());
}

TEST_F(Buckets, ConditionalOverflowsWhenItsConditionHolds) {
  load(R"(type: conditional
name: test/cond
description: d
filter: 'true'
groupby: evt.Meta.source_ip
capacity: -1
leakspeed: 1m
condition: any(queue.Queue, {.Meta.path == '/a'}) && any(queue.Queue, {.Meta.path == '/b'})
)");
  auto path = [](std::string p, double t) {
    auto e = log_event("1.2.3.4", t);
    e.meta.set("path", p);
    return e;
  };
  EXPECT_TRUE(pour({path("/a", 0), path("/a", 1), path("/c", 2)}).empty());
  auto out = pour({path("/b", 3)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(alert(out[0]).events_count, 4);
  EXPECT_EQ(alert(out[0]).stop_at, "2026-11-23T10:00:03Z");
}

TEST_F(Buckets, ConditionSeesOnlyTheEventsTheBoundedQueueKept) {
  // The queue keeps cache_size + 1 = 3 events; the condition's filter is evaluated
  // incrementally over the queue and must forget the events the queue dropped.
  load(R"(type: conditional
name: test/cond-bounded
description: d
filter: 'true'
groupby: evt.Meta.source_ip
capacity: -1
cache_size: 2
leakspeed: 1m
condition: len(filter(queue.Queue, {.Meta.path == '/a'})) >= 2
)");
  auto path = [](std::string p, double t) {
    auto e = log_event("1.2.3.4", t);
    e.meta.set("path", p);
    return e;
  };
  EXPECT_TRUE(pour({path("/a", 0), path("/c", 1), path("/c", 2), path("/a", 3)}).empty());
  auto out = pour({path("/a", 4)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(alert(out[0]).events_count, 5);
  EXPECT_EQ(alert(out[0]).stop_at, "2026-11-23T10:00:04Z");
}

TEST_F(Buckets, BayesianRecomputesThePosteriorFromThePriorAfterEachPour) {
  load(R"(type: bayesian
name: test/bayes
description: d
filter: 'true'
groupby: evt.Meta.source_ip
capacity: -1
leakspeed: 1m
bayesian_prior: 0.1
bayesian_threshold: 0.5
bayesian_conditions:
  - condition: evt.Meta.log_type == 'evil'
    prob_given_evil: 0.9
    prob_given_benign: 0.1
    guillotine: true
  - condition: len(queue.Queue) >= 3
    prob_given_evil: 0.8
    prob_given_benign: 0.2
)");
  // After an 'evil' event the guillotine holds; the posterior is
  // p1 = .9·.1/(.9·.1+.1·.9) = 0.5, then the queue condition: false → .2·.5/(.2·.5+.8·.5) = 0.2.
  EXPECT_TRUE(pour({log_event("1.2.3.4", 0, "evil"), log_event("1.2.3.4", 1, "x")}).empty());
  // Third event: both true: 0.5 → .8·.5/(.8·.5+.2·.5) = 0.8 > 0.5.
  auto out = pour({log_event("1.2.3.4", 2, "x")});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(alert(out[0]).events_count, 3);
}

TEST_F(Buckets, ScopesRangeAndCustom) {
  load(R"(type: trigger
name: test/range
description: d
filter: evt.Meta.log_type == 'r'
groupby: evt.Meta.source_ip
scope:
  type: Range
---
type: trigger
name: test/user
description: d
filter: evt.Meta.log_type == 'u'
groupby: evt.Meta.user
scope:
  type: username
  expression: evt.Meta.user
)");
  auto r = log_event("1.2.3.4", 0, "r");
  r.meta.set("SourceRange", "1.2.3.0/24");
  auto u = log_event("", 0, "u");
  u.meta.set("user", "root");
  auto out = pour({r, u});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(alert(out[0]).source.scope, "Range");
  EXPECT_EQ(alert(out[0]).source.value, "1.2.3.0/24");
  EXPECT_EQ(alert(out[0]).source.ip, "1.2.3.4");
  EXPECT_EQ(alert(out[1]).source.scope, "username");
  EXPECT_EQ(alert(out[1]).source.value, "root");
  EXPECT_EQ(alert(out[1]).message.substr(0, 14), "username root ");
}

TEST_F(Buckets, AnOverflowWithoutAValidSourceIpGivesNoAlert) {
  load("type: trigger\nname: t\ndescription: d\nfilter: 'true'\ngroupby: evt.Meta.source_ip\n");
  EXPECT_TRUE(pour({log_event("not-an-ip", 0), log_event("", 1)}).empty());
  EXPECT_EQ(engine_->stats().no_source, 2u);
}

// An alert's source takes the enrichment of the last event from its address, whether the
// events before it carried the same fields or not; each address of the bucket is a source.
TEST_F(Buckets, AlertSourcesComeFromTheLastEventOfEachAddress) {
  load("type: leaky\nname: t\ndescription: d\nfilter: 'true'\ncapacity: 3\nleakspeed: 1m\n");
  std::vector<parser::Event> events;
  for (int i = 0; i < 3; ++i)
    events.push_back(log_event("198.51.100.7", i));
  events[2].enriched.set("ASNumber", "64500");
  events[2].enriched.set("IsoCode", "FR");
  events.push_back(log_event("203.0.113.9", 3));
  auto out = pour(events);
  ASSERT_EQ(out.size(), 1u);
  const auto& alerts = out[0].overflow->api_alerts;
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].source.value, "198.51.100.7");
  EXPECT_EQ(alerts[0].source.as_number, "64500");
  EXPECT_EQ(alerts[0].source.cn, "FR");
  EXPECT_EQ(alerts[1].source.value, "203.0.113.9");
  EXPECT_EQ(alerts[1].source.as_number, "");
  EXPECT_EQ(alerts[0].message.substr(0, 12), "Ip 2 sources");
  ASSERT_EQ(alerts[0].events.size(), 4u);
  EXPECT_EQ(alerts[0].events[0].meta.front().key, "log_type");  // meta in key order
  EXPECT_EQ(alerts[0].events[0].meta.back().key, "source_ip");
}

TEST_F(Buckets, QueueKeepsCapacityPlusOneEventsOrCacheSizePlusOne) {
  load(R"(type: leaky
name: test/cache
description: d
filter: 'true'
groupby: evt.Meta.source_ip
capacity: 5
cache_size: 2
leakspeed: 1m
)");
  std::vector<parser::Event> events;
  for (int i = 0; i < 6; ++i)
    events.push_back(log_event("1.2.3.4", i));
  auto out = pour(events);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(alert(out[0]).events_count, 6);
  EXPECT_EQ(alert(out[0]).events.size(), 3u);
  EXPECT_EQ(alert(out[0]).events[0].timestamp, "2026-11-23T10:00:03Z");
}

TEST_F(Buckets, ScenariosSharingFilterAndNameShareTheirBucket) {
  // Two documents with one name and one filter pour into one bucket, as the hub keys buckets
  // by sha1(filter, groupby, name): every event counts twice.
  load(R"(type: leaky
name: test/shared
description: first
filter: evt.Meta.log_type == 'ssh_failed-auth'
groupby: evt.Meta.source_ip
capacity: 5
leakspeed: 1m
---
type: leaky
name: test/shared
description: second
filter: evt.Meta.log_type == 'ssh_failed-auth'
groupby: evt.Meta.source_ip
distinct: evt.Meta.user
capacity: 5
leakspeed: 1m
)");
  auto out = pour({log_event("1.2.3.4", 0), log_event("1.2.3.4", 1), log_event("1.2.3.4", 2)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(alert(out[0]).events_count, 6);
}

TEST_F(Buckets, TheCapEvictsTheLeastRecentlyFedBucketsAndCountsThem) {
  max_buckets_ = 100;
  load(kLeaky);
  std::vector<parser::Event> events;
  for (int i = 0; i < 1000; ++i)
    events.push_back(
        log_event("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250), i * 0.001));
  pour(events);
  EXPECT_LE(engine_->bucket_count(), 100u);
  EXPECT_GE(engine_->stats().evicted, 900u);
  EXPECT_EQ(engine_->bucket_count() + engine_->stats().evicted, 1000u);
}

TEST_F(Buckets, ReprocessedOverflowsFeedARangeScenario) {
  load(R"(type: trigger
name: test/ip
description: d
filter: evt.Meta.log_type == 'ssh_failed-auth'
groupby: evt.Meta.source_ip
reprocess: true
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
)");
  Detector detector(*set_, nullptr, nullptr, {.max_buckets = 0, .clock = &clock_}, {});
  std::vector<parser::Event> alerts;
  for (auto ip : {"1.2.3.4", "1.2.3.5"}) {
    auto e = log_event(ip, 0);
    e.meta.set("SourceRange", "1.2.3.0/24");
    detector.feed(e, alerts);
  }
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_EQ(detector.stats().reprocessed, 2u);
  const auto& range = *alerts[2].overflow->alert();
  EXPECT_EQ(range.scenario, "test/range");
  EXPECT_EQ(range.source.scope, "Range");
  EXPECT_EQ(range.source.value, "1.2.3.0/24");
  EXPECT_TRUE(range.events.empty());  // reprocessed overflows carry no meta
}

}  // namespace
}  // namespace phalanx::scenario
