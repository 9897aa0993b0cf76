// SPDX-License-Identifier: Apache-2.0
// The bucket engine: pours events into the buckets of the scenarios that match them and turns
// overflows into alerts, with the semantics of spec §3 and §7.
//
// Time is data: in time-machine mode (replay) a bucket runs on the event's MarshaledTime, in
// live mode on the injected clock. One Engine owns its buckets and is used from one thread;
// several engines over one ScenarioSet split the scenarios between them (EngineOptions::owned,
// see ShardedDetector in sharded_detector.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/clock.h"
#include "expr/event_memo.h"
#include "expr/program.h"
#include "parser/event.h"
#include "scenario/limiter.h"
#include "scenario/scenario.h"

namespace phalanx::scenario {

struct EngineOptions {
  // Live buckets above which the least recently fed ones are evicted (0: no cap). Idle buckets
  // are collected first; eviction only happens under a flood of distinct keys.
  size_t max_buckets = 0;
  // "now" for live-mode buckets; null: the system clock.
  const Clock* clock = nullptr;
  // Sharded detection (see sharded_detector.h): per scenario index, whether this engine pours
  // into it. Null: every scenario.
  const std::vector<uint8_t>* owned = nullptr;
};

struct EngineStats {
  uint64_t events = 0;     // events offered to pour()
  uint64_t poured = 0;     // (event, scenario) pours
  uint64_t overflows = 0;  // overflows that produced an alert event
  uint64_t discarded = 0;  // overflows dropped by overflow_filter or blackhole
  uint64_t no_source = 0;  // overflows without a usable source (no alert)
  uint64_t canceled = 0;   // buckets killed by cancel_on
  uint64_t expired = 0;    // buckets that ended without overflowing (stale, underflow, GC)
  uint64_t evicted = 0;    // buckets dropped by the cap
  uint64_t untimed = 0;    // time-machine events without a usable MarshaledTime
  uint64_t errors = 0;     // expression errors (filter, groupby, …)
};

class Engine {
 public:
  Engine(const ScenarioSet& scenarios, EngineOptions options, expr::RunContext run);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Pours one event (a parsed log event, or an overflow being reprocessed) into every scenario
  // whose filter matches it. Overflows that carry an alert are appended to `out` as events of
  // type kOverflow. The filters and the buckets work on one copy of the event, so what a filter
  // sets (SetMeta) is in the event every bucket holds; the caller's event is left as it was.
  void pour(const parser::Event& evt, std::vector<parser::Event>& out);
  // pour() of an event the caller gives up: the buckets keep it instead of a copy.
  void pour(parser::Event&& evt, std::vector<parser::Event>& out);
  // For each overflow the last pour() appended to `out`, the index of the scenario that poured
  // it (overflows come out in that order; ShardedDetector merges shards by it).
  const std::vector<uint32_t>& last_origins() const { return origins_; }
  // Live mode: ends the buckets whose lifetime passed by the clock's now (leaky, conditional
  // and bayesian buckets die silently; counters overflow).
  void tick(std::vector<parser::Event>& out);

  size_t bucket_count() const { return buckets_.size(); }

  // Live buckets carried across a content reload. release_buckets() moves every bucket and
  // blackhole out of this engine, each tagged with its scenario's name and file hash;
  // adopt_buckets() takes those whose scenario is still loaded unchanged (same name, same
  // hash) and drops the rest (the scenario changed or is gone). Returns the buckets adopted.
  struct Handoff;
  std::shared_ptr<Handoff> release_buckets();
  // The same, appended to an existing handoff (the shards of a ShardedDetector add to one).
  std::shared_ptr<Handoff> release_buckets_into(std::shared_ptr<Handoff> handoff);
  size_t adopt_buckets(const std::shared_ptr<Handoff>& handoff);
  const EngineStats& stats() const { return stats_; }
  // Bytes held by live buckets, without the events they queue (those are shared between
  // scenarios and counted separately by the caller).
  size_t bucket_bytes() const;

 private:
  struct Key {
    uint32_t family;  // Scenario::family
    std::string group;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept {
      return std::hash<std::string_view>()(k.group) * 31 + k.family;
    }
  };
  struct Bucket;
  using BucketMap = std::unordered_map<Key, Bucket, KeyHash>;

  TimePoint now() const;
  // The event time of a time-machine event; nullopt when MarshaledTime is empty or invalid.
  std::optional<ZonedTime> event_time(const parser::Event& evt);
  // Counts the event and lists in candidates_ the scenarios it may go to; false if none.
  bool route(const parser::Event& evt);
  // Runs the candidates' filters on `owned` and pours it into the buckets of those that take it.
  void pour_shared(std::shared_ptr<parser::Event> owned, std::vector<parser::Event>& out);
  void pour_bucket(const Scenario& s, Key key, const std::shared_ptr<const parser::Event>& evt,
                   std::vector<parser::Event>& out);
  void overflow(const Scenario& s, BucketMap::iterator it, std::vector<parser::Event>& out);
  void collect(TimePoint horizon);
  void enforce_cap();

  const ScenarioSet& scenarios_;
  EngineOptions options_;
  expr::RunContext run_;
  // Pure calls over the event (Upper(evt.Meta.http_path), ...) shared by the filters and
  // groupby of the scenarios one event is poured into; reset for every event.
  expr::EventMemo memo_;
  BucketMap buckets_;
  // Per scenario: bucket group → end of its blackhole (log time in replay).
  std::vector<std::unordered_map<std::string, TimePoint>> blackholes_;
  EngineStats stats_;
  std::vector<uint32_t> candidates_;
  ScenarioSet::RouteCache route_cache_;
  ScenarioSet::Scratch guard_scratch_;
  std::vector<uint32_t> origins_;
  // The newest event time seen in time-machine mode: buckets idle past it are collectable.
  TimePoint horizon_{};
  size_t next_collect_ = 4096;
  uint64_t next_bucket_id_ = 1;
  // Cache of the last parsed MarshaledTime.
  std::string cached_time_text_;
  std::optional<ZonedTime> cached_time_;
};

}  // namespace phalanx::scenario
