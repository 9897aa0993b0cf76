// SPDX-License-Identifier: Apache-2.0
// Detection over several threads. The scenarios are split between N shards; each shard is a
// thread with its own Engine that pours only into its scenarios, so it owns their buckets and
// blackholes outright and the hot path takes no lock. The calling thread (the coordinator)
// routes each event to the shards owning one of its candidate scenarios, in batches through
// bounded queues, takes the overflows back and runs them through the postoverflows exactly as
// Detector does.
//
// Alerts are those of the single-threaded Detector, in the same order:
// - scenarios sharing buckets (same family) live in the same shard, and every shard sees its
//   events in input order, so each bucket sees the same events in the same order;
// - overflows are merged by (input sequence number, pouring scenario index), which is the order
//   one Engine appends them in;
// - the scenarios an overflow fed back (`reprocess: true`) can reach — those the router cannot
//   skip for a bare overflow event, typically range or defcon scenarios — are owned by the
//   coordinator itself, which pours into them while it merges, event by event in input order;
//   so a reprocessed overflow reaches them before the next input event, as on one thread. (A
//   postoverflow could set a field that lets a shard's scenario take it: that overflow is then
//   poured into that shard late, with a warning.)
// Alerts come out late, by up to a few batches: flush() waits for everything fed so far.
//
// Content with a filter that changes the event (evt.SetMeta / SetParsed) runs on one shard:
// later filters see the change and one engine queues the event as it is at its first match,
// which no split of the scenarios keeps.
//
// What differs from one Engine: the bucket cap is split evenly between the shards (the
// coordinator's own scenarios get the same share), and idle bucket collection and bucket ids
// are per shard (neither shows in alerts for time-ordered input).
#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "parser/event.h"
#include "parser/pipeline.h"
#include "scenario/detector.h"
#include "scenario/engine.h"

namespace phalanx::scenario {

class ShardedDetector {
 public:
  // `shards` 0: one per core. The shards actually run are at most the number of bucket
  // families (scenarios sharing buckets count once). With `shards` 1 everything runs on the
  // caller's thread, event by event, exactly as Detector (no batching, no delay).
  // `options.max_buckets` is split evenly between the shards.
  ShardedDetector(const ScenarioSet& scenarios, const parser::Pipeline* postoverflows,
                  parser::ParseContext* post_ctx, EngineOptions options, expr::RunContext run,
                  size_t shards);
  ~ShardedDetector();
  ShardedDetector(const ShardedDetector&) = delete;
  ShardedDetector& operator=(const ShardedDetector&) = delete;

  // The shard count `requested` means: itself, or the number of cores for 0.
  static size_t resolve(size_t requested);

  // Pours one parsed, non-whitelisted event. Alerts of this event or earlier ones that are
  // ready are appended to `alerts` (and `dump`, as with Detector::feed).
  void feed(parser::Event&& evt, std::vector<parser::Event>& alerts,
            std::vector<parser::Event>* dump = nullptr);
  // Waits for every event fed so far and appends the remaining alerts.
  void flush(std::vector<parser::Event>& alerts, std::vector<parser::Event>* dump = nullptr);
  // Live mode: flushes, then fires due lifetime timers in every shard.
  void tick(std::vector<parser::Event>& alerts, std::vector<parser::Event>* dump = nullptr);

  size_t shards() const { return shards_.size(); }
  // Per scenario index, the shard that owns it; shards() for the coordinator's own.
  const std::vector<uint32_t>& assignment() const { return assignment_; }
  const DetectorStats& stats() const { return stats_; }
  // Totals over the shards; exact once flushed.
  EngineStats engine_stats() const;
  size_t bucket_count() const;

  // As Engine's, for every shard (call when flushed).
  std::shared_ptr<Engine::Handoff> release_buckets();
  size_t adopt_buckets(const std::shared_ptr<Engine::Handoff>& handoff);

 private:
  struct Item {
    uint64_t seq;
    parser::Event evt;
  };
  struct Out {
    uint64_t seq;
    uint32_t origin;  // the scenario that poured it
    parser::Event evt;
  };
  struct Shard;
  struct Round {
    std::vector<uint8_t> sent;  // per shard: whether it got a batch this round
    std::vector<Item> local;    // events for the coordinator's own scenarios
  };

  // Sets hits_ (per shard) and returns whether a coordinator-owned scenario may take it.
  bool route(const parser::Event& evt);
  void pour_local(Item& item, std::vector<Out>& outs);
  void dispatch();
  void collect(std::vector<parser::Event>& alerts, std::vector<parser::Event>* dump);
  void collect_all(std::vector<parser::Event>& alerts, std::vector<parser::Event>* dump);
  void pour_now(const parser::Event& evt, std::vector<parser::Event>& more);
  void drain(std::vector<parser::Event>& overflows, std::vector<parser::Event>& alerts,
             std::vector<parser::Event>* dump);

  const ScenarioSet& scenarios_;
  const parser::Pipeline* postoverflows_;
  parser::ParseContext* post_ctx_;
  std::vector<uint32_t> assignment_;
  std::vector<uint8_t> local_owned_;  // per scenario: owned by the coordinator
  std::unique_ptr<Shard> local_;      // the coordinator's engine
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<Item> local_pending_;
  bool warned_late_ = false;
  bool direct_ = false;  // one shard, on the caller's thread, event by event
  std::deque<Round> inflight_;
  size_t round_events_ = 0;
  uint64_t next_seq_ = 0;
  std::vector<uint32_t> candidates_;
  ScenarioSet::RouteCache route_cache_;
  std::vector<uint8_t> hits_;
  std::vector<Out> merged_;
  std::vector<parser::Event> group_;
  DetectorStats stats_;
};

}  // namespace phalanx::scenario
