// SPDX-License-Identifier: Apache-2.0
// The agent's detection pipeline, live: acquisition sources push lines (this class is their
// Sink), a pool of parser workers runs them through the parser stages, and one detector thread
// pours the parsed events into the scenarios' buckets, fires the buckets' timers, and hands the
// alerts that come out to a callback.
//
//   sources ──push──▶ [line queue, bounded] ──▶ parser workers ──▶ [event queue, bounded]
//                                                                        │
//                                                   detector thread ◀────┘ ──▶ on_alerts
//
// With `shards` above one, the detector thread routes the events to scenario threads that each
// own some scenarios' buckets (scenario/sharded_detector.h); the alerts are the same.
//
// Both queues are bounded: when detection falls behind, push() blocks and the sources slow
// down; nothing is dropped and memory stays bounded. Lines are taken in small batches so that
// a busy queue costs one lock per batch, and nothing waits for a batch to fill, so a single
// line goes through at once (the log-to-drop latency).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "acquisition/source.h"
#include "cli/content.h"
#include "core/clock.h"
#include "parser/overflow.h"
#include "scenario/engine.h"

namespace phalanx::agent {

struct PipelineOptions {
  size_t workers = 0;                   // parser threads; 0: one per core
  size_t shards = 1;                    // scenario threads (ShardedDetector); 0: one per core
  size_t queue_capacity = 16384;        // lines (and parsed events) waiting; push() blocks beyond
  size_t max_buckets = 1000000;         // live buckets above which the least recent are evicted
  std::chrono::milliseconds tick{200};  // bucket timers are checked at least this often
  const Clock* clock = nullptr;         // null: the system clock
};

struct PipelineStats {
  std::atomic<uint64_t> lines{0};        // lines taken from the sources
  std::atomic<uint64_t> parsed{0};       // lines every stage parsed, not whitelisted
  std::atomic<uint64_t> unparsed{0};     // lines no parser took
  std::atomic<uint64_t> whitelisted{0};  // parsed, then whitelisted
  std::atomic<uint64_t> errors{0};       // parser errors
  std::atomic<uint64_t> alerts{0};       // alerts handed to on_alerts
  // Time from a line being read to its event being poured, in microseconds: sum and count for
  // the mean, and the largest seen since the last read of max (metrics).
  std::atomic<uint64_t> latency_us_sum{0};
  std::atomic<uint64_t> latency_count{0};
  std::atomic<uint64_t> latency_us_max{0};
};

// Called on the detector thread with the alerts of one or more overflows; must not block for
// long (hand them to another thread).
using AlertCallback = std::function<void(std::vector<parser::Alert>&&)>;

class Pipeline final : public acquisition::Sink {
 public:
  Pipeline(cli::Content& content, PipelineOptions options, AlertCallback on_alerts);
  ~Pipeline() override;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  void start();
  // Stops taking lines (push() returns false from now on), processes every line already taken,
  // delivers their alerts, and joins the threads. Idempotent.
  void stop();

  bool push(acquisition::Line line) override;
  bool try_push(acquisition::Line& line) override;

  // Live buckets across a reload: adopt_buckets() (before start()) hands the detector the
  // buckets a previous pipeline left, keeping those whose scenario is unchanged; after stop(),
  // take_buckets() gives this pipeline's live buckets for the next one.
  void adopt_buckets(std::shared_ptr<scenario::Engine::Handoff> handoff);
  std::shared_ptr<scenario::Engine::Handoff> take_buckets();
  size_t adopted_buckets() const { return adopted_.load(); }

  const PipelineStats& stats() const { return stats_; }
  size_t workers() const { return workers_; }
  // Scenario threads actually run (known once the detector thread has started).
  size_t shards() const { return shards_.load(); }
  size_t line_queue_depth() const;
  size_t event_queue_depth() const;
  // Snapshots maintained by the detector thread, for metrics.
  size_t bucket_count() const { return bucket_count_.load(std::memory_order_relaxed); }
  std::map<std::string, uint64_t> overflows_by_scenario() const;
  // Lines per (labels.type, result): result is "parsed", "unparsed", "whitelisted" or "error".
  std::map<std::pair<std::string, std::string>, uint64_t> lines_by_type() const;
  // Per top-level parser node (stage, name): events its filter let in and events it parsed.
  struct NodeTotals {
    std::string stage;
    std::string name;
    parser::NodeCount count;
  };
  std::vector<NodeTotals> parser_nodes() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  PipelineStats stats_;
  size_t workers_ = 1;
  std::atomic<size_t> bucket_count_{0};
  std::atomic<size_t> shards_{0};
  std::atomic<size_t> adopted_{0};
};

// The parser's view of an acquisition line: live lines expect live buckets, cat-mode lines are
// replayed on their own timestamps.
parser::Event make_event(acquisition::Line&& line);

}  // namespace phalanx::agent
