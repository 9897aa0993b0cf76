// SPDX-License-Identifier: Apache-2.0
#include "scenario/sharded_detector.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <thread>

#include "core/bounded_queue.h"
#include "core/log.h"

namespace phalanx::scenario {
namespace {

// Events per batch handed to a shard, and batches in flight before the coordinator waits for
// the oldest: enough to keep the shards busy while the coordinator drains overflows.
constexpr size_t kRoundEvents = 512;
constexpr size_t kDepth = 4;

// Bucket families (scenarios sharing buckets) dealt to `n` shards, heaviest first, each to the
// least loaded shard; a scenario counts 1. Deterministic: ties go to the lower index.
std::vector<uint32_t> partition(const ScenarioSet& set, size_t n) {
  std::map<uint32_t, std::vector<uint32_t>> families;
  for (const auto& s : set.scenarios())
    families[s.family].push_back(s.index);
  std::vector<const std::vector<uint32_t>*> order;
  for (const auto& [family, members] : families)
    order.push_back(&members);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto* a, const auto* b) { return a->size() > b->size(); });
  std::vector<uint32_t> assignment(set.size(), 0);
  std::vector<size_t> load(n, 0);
  for (const auto* members : order) {
    const size_t shard = size_t(std::min_element(load.begin(), load.end()) - load.begin());
    load[shard] += members->size();
    for (uint32_t i : *members)
      assignment[i] = uint32_t(shard);
  }
  return assignment;
}

size_t family_count(const ScenarioSet& set) {
  size_t n = 0;
  for (const auto& s : set.scenarios())
    n += s.family == s.index ? 1 : 0;
  return n;
}

EngineStats& operator+=(EngineStats& a, const EngineStats& b) {
  a.events += b.events;
  a.poured += b.poured;
  a.overflows += b.overflows;
  a.discarded += b.discarded;
  a.no_source += b.no_source;
  a.canceled += b.canceled;
  a.expired += b.expired;
  a.evicted += b.evicted;
  a.untimed += b.untimed;
  a.errors += b.errors;
  return a;
}

}  // namespace

struct ShardedDetector::Shard {
  struct Job {
    bool tick = false;
    std::vector<Item> items;
  };

  Shard(const ScenarioSet& set, EngineOptions options, const expr::RunContext& run,
        std::vector<uint8_t> mine)
      : owned(std::move(mine)), engine(set, with_owned(options, &owned), run) {}
  static EngineOptions with_owned(EngineOptions options, const std::vector<uint8_t>* owned) {
    options.owned = owned;
    return options;
  }

  // Runs one batch: the overflows, tagged with their input sequence number and the scenario
  // that poured them, in the order the engine gave them.
  void process(Job& job, std::vector<Out>& result) {
    if (job.tick) {
      scratch.clear();
      engine.tick(scratch);
      for (auto& e : scratch)
        result.push_back({UINT64_MAX, 0, std::move(e)});
      return;
    }
    for (auto& item : job.items) {
      scratch.clear();
      engine.pour(item.evt, scratch);
      const auto& origins = engine.last_origins();
      for (size_t i = 0; i < scratch.size(); ++i)
        result.push_back({item.seq, origins[i], std::move(scratch[i])});
    }
  }

  void send(Job&& job) {
    if (!thread.joinable()) {
      std::vector<Out> result;
      process(job, result);
      ready.push_back(std::move(result));
    } else {
      in.push(std::move(job));
    }
  }
  std::vector<Out> take() {
    if (!thread.joinable()) {
      std::vector<Out> result = std::move(ready.front());
      ready.pop_front();
      return result;
    }
    return out.pop().value_or(std::vector<Out>{});
  }
  void start() {
    thread = std::thread([this] {
      while (auto job = in.pop()) {
        std::vector<Out> result;
        process(*job, result);
        out.push(std::move(result));
      }
    });
  }

  std::vector<uint8_t> owned;
  Engine engine;
  std::vector<Item> pending;
  std::vector<parser::Event> scratch;
  BoundedQueue<Job> in{kDepth + 2};
  BoundedQueue<std::vector<Out>> out{kDepth + 2};
  std::deque<std::vector<Out>> ready;  // results when the shard runs on the caller's thread
  std::thread thread;
};

size_t ShardedDetector::resolve(size_t requested) {
  return requested != 0 ? requested : std::max<size_t>(1, std::thread::hardware_concurrency());
}

ShardedDetector::ShardedDetector(const ScenarioSet& scenarios,
                                 const parser::Pipeline* postoverflows,
                                 parser::ParseContext* post_ctx, EngineOptions options,
                                 expr::RunContext run, size_t shards)
    : scenarios_(scenarios), postoverflows_(postoverflows), post_ctx_(post_ctx) {
  const size_t n = std::max<size_t>(1, std::min(resolve(shards), family_count(scenarios)));
  assignment_ = partition(scenarios, n);
  reprocess_.resize(scenarios.size());
  for (const auto& s : scenarios.scenarios())
    reprocess_[s.index] = s.config.reprocess ? 1 : 0;
  EngineOptions shard_options = options;
  if (options.max_buckets != 0) shard_options.max_buckets = (options.max_buckets + n - 1) / n;
  for (size_t i = 0; i < n; ++i) {
    std::vector<uint8_t> owned(scenarios.size());
    for (size_t s = 0; s < scenarios.size(); ++s)
      owned[s] = assignment_[s] == i ? 1 : 0;
    shards_.push_back(std::make_unique<Shard>(scenarios, shard_options, run, std::move(owned)));
  }
  hits_.resize(n);
  if (n > 1) {
    for (auto& shard : shards_)
      shard->start();
  }
}

ShardedDetector::~ShardedDetector() {
  for (auto& shard : shards_)
    shard->in.close();
  for (auto& shard : shards_) {
    if (shard->thread.joinable()) shard->thread.join();
  }
}

void ShardedDetector::route(const parser::Event& evt, bool& sync) {
  scenarios_.candidates(evt, candidates_);
  std::fill(hits_.begin(), hits_.end(), 0);
  sync = false;
  for (uint32_t i : candidates_) {
    hits_[assignment_[i]] = 1;
    if (reprocess_[i] != 0) sync = true;
  }
}

void ShardedDetector::feed(parser::Event&& evt, std::vector<parser::Event>& alerts,
                           std::vector<parser::Event>* dump) {
  const uint64_t seq = next_seq_++;
  bool sync = false;
  route(evt, sync);
  size_t last = hits_.size();
  for (size_t s = 0; s < hits_.size(); ++s) {
    if (hits_[s] != 0) last = s;
  }
  if (last == hits_.size()) return;  // no scenario can take it
  for (size_t s = 0; s < last; ++s) {
    if (hits_[s] != 0) shards_[s]->pending.push_back({seq, evt});
  }
  shards_[last]->pending.push_back({seq, std::move(evt)});
  if (++round_events_ < kRoundEvents && !sync) return;
  dispatch();
  if (sync) {
    // A reprocessed overflow must reach every shard before the next event does.
    collect_all(alerts, dump);
  } else {
    while (inflight_.size() > kDepth)
      collect(alerts, dump);
  }
}

void ShardedDetector::dispatch() {
  round_events_ = 0;
  Round round;
  round.sent.resize(shards_.size());
  bool any = false;
  for (size_t s = 0; s < shards_.size(); ++s) {
    Shard& shard = *shards_[s];
    if (shard.pending.empty()) continue;
    shard.send({.tick = false, .items = std::move(shard.pending)});
    shard.pending.clear();
    round.sent[s] = 1;
    any = true;
  }
  if (any) inflight_.push_back(std::move(round));
}

void ShardedDetector::collect(std::vector<parser::Event>& alerts,
                              std::vector<parser::Event>* dump) {
  Round round = std::move(inflight_.front());
  inflight_.pop_front();
  merged_.clear();
  for (size_t s = 0; s < shards_.size(); ++s) {
    if (round.sent[s] == 0) continue;
    auto result = shards_[s]->take();
    for (auto& o : result)
      merged_.push_back(std::move(o));
  }
  // One engine appends an event's overflows in scenario order; a scenario lives in one shard
  // and each shard keeps its own order, so a stable sort restores the single-threaded order.
  std::stable_sort(merged_.begin(), merged_.end(), [](const Out& a, const Out& b) {
    return a.seq != b.seq ? a.seq < b.seq : a.origin < b.origin;
  });
  // drain() may pour reprocessed overflows (pour_now), which uses neither merged_ nor group_.
  for (size_t i = 0; i < merged_.size();) {
    group_.clear();
    size_t j = i;
    for (; j < merged_.size() && merged_[j].seq == merged_[i].seq; ++j)
      group_.push_back(std::move(merged_[j].evt));
    i = j;
    drain(group_, alerts, dump);
  }
  merged_.clear();
}

void ShardedDetector::collect_all(std::vector<parser::Event>& alerts,
                                  std::vector<parser::Event>* dump) {
  while (!inflight_.empty())
    collect(alerts, dump);
}

void ShardedDetector::flush(std::vector<parser::Event>& alerts, std::vector<parser::Event>* dump) {
  if (round_events_ != 0) dispatch();
  collect_all(alerts, dump);
}

void ShardedDetector::tick(std::vector<parser::Event>& alerts, std::vector<parser::Event>* dump) {
  flush(alerts, dump);
  for (auto& shard : shards_)
    shard->send({.tick = true, .items = {}});
  std::vector<parser::Event> overflows;
  for (auto& shard : shards_) {
    for (auto& o : shard->take())
      overflows.push_back(std::move(o.evt));
  }
  if (!overflows.empty()) drain(overflows, alerts, dump);
}

void ShardedDetector::pour_now(const parser::Event& evt, std::vector<parser::Event>& more) {
  // Only called with nothing in flight (see feed and tick): the shards are idle, and what they
  // give back is this event's overflows.
  bool sync = false;
  route(evt, sync);
  const std::vector<uint8_t> sent = hits_;
  const uint64_t seq = next_seq_++;
  for (size_t s = 0; s < shards_.size(); ++s) {
    if (sent[s] != 0) shards_[s]->send({.tick = false, .items = {Item{seq, evt}}});
  }
  std::vector<Out> outs;
  for (size_t s = 0; s < shards_.size(); ++s) {
    if (sent[s] == 0) continue;
    for (auto& o : shards_[s]->take())
      outs.push_back(std::move(o));
  }
  std::stable_sort(outs.begin(), outs.end(),
                   [](const Out& a, const Out& b) { return a.origin < b.origin; });
  for (auto& o : outs)
    more.push_back(std::move(o.evt));
}

void ShardedDetector::drain(std::vector<parser::Event>& overflows,
                            std::vector<parser::Event>& alerts, std::vector<parser::Event>* dump) {
  // As Detector::drain: reprocessed overflows may overflow other buckets in turn.
  for (size_t i = 0; i < overflows.size(); ++i) {
    parser::Event evt = std::move(overflows[i]);
    if (postoverflows_ != nullptr && post_ctx_ != nullptr) {
      if (auto r = postoverflows_->parse(evt, *post_ctx_); !r) {
        log::get("scenario")->warn("postoverflow failed: {}", r.error().message());
      }
    }
    if (dump != nullptr) dump->push_back(evt);
    if (evt.whitelisted || evt.overflow->whitelisted) {
      ++stats_.whitelisted;
      log::get("scenario")->info("{} is whitelisted, skip", evt.overflow->alert()->message);
      continue;
    }
    if (evt.overflow->reprocess) {
      ++stats_.reprocessed;
      std::vector<parser::Event> more;
      pour_now(evt, more);
      for (auto& m : more)
        overflows.push_back(std::move(m));
    }
    ++stats_.alerts;
    alerts.push_back(std::move(evt));
  }
}

EngineStats ShardedDetector::engine_stats() const {
  EngineStats total;
  for (const auto& shard : shards_)
    total += shard->engine.stats();
  return total;
}

size_t ShardedDetector::bucket_count() const {
  size_t n = 0;
  for (const auto& shard : shards_)
    n += shard->engine.bucket_count();
  return n;
}

std::shared_ptr<Engine::Handoff> ShardedDetector::release_buckets() {
  std::shared_ptr<Engine::Handoff> handoff;
  for (auto& shard : shards_) {
    handoff = handoff ? shard->engine.release_buckets_into(std::move(handoff))
                      : shard->engine.release_buckets();
  }
  return handoff;
}

size_t ShardedDetector::adopt_buckets(const std::shared_ptr<Engine::Handoff>& handoff) {
  size_t adopted = 0;
  for (auto& shard : shards_)
    adopted += shard->engine.adopt_buckets(handoff);
  return adopted;
}

}  // namespace phalanx::scenario
