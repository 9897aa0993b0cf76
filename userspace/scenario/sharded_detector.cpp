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
// Scenarios in `local` go to shard n (the coordinator).
std::vector<uint32_t> partition(const ScenarioSet& set, size_t n,
                                const std::vector<uint8_t>& local) {
  std::map<uint32_t, std::vector<uint32_t>> families;
  for (const auto& s : set.scenarios()) {
    if (local[s.index] == 0) families[s.family].push_back(s.index);
  }
  std::vector<const std::vector<uint32_t>*> order;
  for (const auto& [family, members] : families)
    order.push_back(&members);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto* a, const auto* b) { return a->size() > b->size(); });
  std::vector<uint32_t> assignment(set.size(), uint32_t(n));
  std::vector<size_t> load(n, 0);
  for (const auto* members : order) {
    const size_t shard = size_t(std::min_element(load.begin(), load.end()) - load.begin());
    load[shard] += members->size();
    for (uint32_t i : *members)
      assignment[i] = uint32_t(shard);
  }
  return assignment;
}

size_t family_count(const ScenarioSet& set, const std::vector<uint8_t>& local) {
  size_t n = 0;
  for (const auto& s : set.scenarios())
    n += s.family == s.index && local[s.index] == 0 ? 1 : 0;
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
      engine.pour(std::move(item.evt), scratch);
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
    if (!early.empty()) {
      std::vector<Out> result = std::move(early.front());
      early.pop_front();
      return result;
    }
    if (!thread.joinable()) {
      std::vector<Out> result = std::move(ready.front());
      ready.pop_front();
      return result;
    }
    return out.pop().value_or(std::vector<Out>{});
  }
  // Runs a job and waits for its result, ahead of results set aside in `early`.
  void process_now(Job& job, std::vector<Out>& result) {
    if (!thread.joinable()) {
      process(job, result);
      return;
    }
    in.push(std::move(job));
    result = out.pop().value_or(std::vector<Out>{});
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
  std::deque<std::vector<Out>> early;  // results taken ahead of a late reprocessed pour
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
  // The scenarios a bare overflow event may reach are the coordinator's.
  parser::Event probe;
  probe.type = parser::EventType::kOverflow;
  scenarios.candidates(probe, candidates_);
  local_owned_.resize(scenarios.size());
  for (uint32_t i : candidates_)
    local_owned_[i] = 1;
  size_t n = std::max<size_t>(1, std::min(resolve(shards), family_count(scenarios, local_owned_)));
  // A filter that changes the event (evt.SetMeta, as the hub's http-cve-probing and
  // http-technology-probing do) is seen by the scenarios after it, and one engine queues the
  // event as it is at its first match: both cross shards, so such content runs on one.
  const Scenario* mutating = nullptr;
  for (const auto& s : scenarios.scenarios()) {
    if (!fields_filter_writes(s).empty()) {
      mutating = &s;
      break;
    }
  }
  if (mutating != nullptr && resolve(shards) > 1) {
    log::get("scenario")
        ->info(
            "scenario {} changes the event in its filter: scenarios run on one thread so the "
            "alerts stay those of one thread",
            mutating->name());
  }
  if (resolve(shards) == 1 || mutating != nullptr) {
    // One shard: it owns every scenario and takes each event at once, as Detector does.
    direct_ = true;
    std::fill(local_owned_.begin(), local_owned_.end(), 0);
    n = 1;
  }
  assignment_ = partition(scenarios, n, local_owned_);
  EngineOptions shard_options = options;
  if (options.max_buckets != 0) shard_options.max_buckets = (options.max_buckets + n - 1) / n;
  for (size_t i = 0; i < n; ++i) {
    std::vector<uint8_t> owned(scenarios.size());
    for (size_t s = 0; s < scenarios.size(); ++s)
      owned[s] = assignment_[s] == i ? 1 : 0;
    shards_.push_back(std::make_unique<Shard>(scenarios, shard_options, run, std::move(owned)));
  }
  local_ = std::make_unique<Shard>(scenarios, shard_options, run, local_owned_);
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

bool ShardedDetector::route(const parser::Event& evt) {
  scenarios_.candidates(evt, candidates_, route_cache_);
  std::fill(hits_.begin(), hits_.end(), 0);
  bool local = false;
  for (uint32_t i : candidates_) {
    if (local_owned_[i] != 0) {
      local = true;
    } else {
      hits_[assignment_[i]] = 1;
    }
  }
  return local;
}

void ShardedDetector::feed(parser::Event&& evt, std::vector<parser::Event>& alerts,
                           std::vector<parser::Event>* dump) {
  if (direct_) {
    group_.clear();
    shards_[0]->engine.pour(std::move(evt), group_);
    if (!group_.empty()) drain(group_, alerts, dump);
    return;
  }
  const uint64_t seq = next_seq_++;
  const bool local = route(evt);
  size_t last = hits_.size();
  for (size_t s = 0; s < hits_.size(); ++s) {
    if (hits_[s] != 0) last = s;
  }
  if (last == hits_.size() && !local) return;  // no scenario can take it
  for (size_t s = 0; s < hits_.size(); ++s) {
    if (hits_[s] == 0) continue;
    if (s == last && !local) {
      shards_[s]->pending.push_back({seq, std::move(evt)});
    } else {
      shards_[s]->pending.push_back({seq, evt});
    }
  }
  if (local) local_pending_.push_back({seq, std::move(evt)});
  if (++round_events_ < kRoundEvents) return;
  dispatch();
  while (inflight_.size() > kDepth)
    collect(alerts, dump);
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
  round.local = std::move(local_pending_);
  local_pending_.clear();
  if (any || !round.local.empty()) inflight_.push_back(std::move(round));
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
  auto by_order = [](const Out& a, const Out& b) {
    return a.seq != b.seq ? a.seq < b.seq : a.origin < b.origin;
  };
  std::stable_sort(merged_.begin(), merged_.end(), by_order);
  // Event by event: the coordinator's own scenarios take it, then its overflows are drained
  // (reprocessed ones poured at once), before the next event.
  std::vector<Out> local_outs;
  size_t i = 0, l = 0;
  while (i < merged_.size() || l < round.local.size()) {
    const uint64_t seq = std::min(i < merged_.size() ? merged_[i].seq : UINT64_MAX,
                                  l < round.local.size() ? round.local[l].seq : UINT64_MAX);
    local_outs.clear();
    if (l < round.local.size() && round.local[l].seq == seq)
      pour_local(round.local[l++], local_outs);
    const size_t from = i;
    while (i < merged_.size() && merged_[i].seq == seq)
      ++i;
    if (local_outs.empty() && from == i) continue;
    std::vector<Out> outs(std::make_move_iterator(merged_.begin() + ptrdiff_t(from)),
                          std::make_move_iterator(merged_.begin() + ptrdiff_t(i)));
    for (auto& o : local_outs)
      outs.push_back(std::move(o));
    std::stable_sort(outs.begin(), outs.end(), by_order);
    group_.clear();
    for (auto& o : outs)
      group_.push_back(std::move(o.evt));
    drain(group_, alerts, dump);
  }
  merged_.clear();
}

void ShardedDetector::pour_local(Item& item, std::vector<Out>& outs) {
  Shard::Job job;
  job.items.push_back(std::move(item));
  local_->process(job, outs);
}

void ShardedDetector::collect_all(std::vector<parser::Event>& alerts,
                                  std::vector<parser::Event>* dump) {
  while (!inflight_.empty())
    collect(alerts, dump);
}

void ShardedDetector::flush(std::vector<parser::Event>& alerts, std::vector<parser::Event>* dump) {
  if (round_events_ != 0 || !local_pending_.empty()) dispatch();
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
  std::vector<Out> local_outs;
  Shard::Job job{.tick = true, .items = {}};
  local_->process(job, local_outs);
  for (auto& o : local_outs)
    overflows.push_back(std::move(o.evt));
  if (!overflows.empty()) drain(overflows, alerts, dump);
}

void ShardedDetector::pour_now(const parser::Event& evt, std::vector<parser::Event>& more) {
  const bool local = route(evt);
  const std::vector<uint8_t> sent = hits_;
  const uint64_t seq = next_seq_++;
  std::vector<Out> outs;
  if (local) {
    Item item{seq, evt};
    pour_local(item, outs);
  }
  for (size_t s = 0; s < shards_.size(); ++s) {
    if (sent[s] == 0) continue;
    // A shard's scenario takes a reprocessed overflow (a postoverflow set a field it is routed
    // on): the shard may already be past this event. Its pending results are set aside, the
    // overflow poured now.
    size_t ahead = 0;
    for (const auto& round : inflight_)
      ahead += round.sent[s];
    if (ahead != 0 && !warned_late_) {
      warned_late_ = true;
      log::get("scenario")
          ->warn(
              "a reprocessed overflow reaches a sharded scenario late; use one shard for the "
              "exact single-threaded order");
    }
    Shard& shard = *shards_[s];
    for (size_t k = shard.early.size(); k < ahead; ++k) {
      auto r = shard.thread.joinable() ? shard.out.pop().value_or(std::vector<Out>{})
                                       : std::move(shard.ready.front());
      if (!shard.thread.joinable()) shard.ready.pop_front();
      shard.early.push_back(std::move(r));
    }
    std::vector<Out> result;
    Shard::Job job;
    job.items.push_back({seq, evt});
    shard.process_now(job, result);
    for (auto& o : result)
      outs.push_back(std::move(o));
  }
  std::stable_sort(outs.begin(), outs.end(),
                   [](const Out& a, const Out& b) { return a.origin < b.origin; });
  for (auto& o : outs)
    more.push_back(std::move(o.evt));
}

void ShardedDetector::drain(std::vector<parser::Event>& overflows,
                            std::vector<parser::Event>& alerts, std::vector<parser::Event>* dump) {
  drain_overflows(
      overflows, postoverflows_, post_ctx_,
      [this](const parser::Event& evt, std::vector<parser::Event>& more) { pour_now(evt, more); },
      stats_, alerts, dump);
}

EngineStats ShardedDetector::engine_stats() const {
  EngineStats total;
  for (const auto& shard : shards_)
    total += shard->engine.stats();
  total += local_->engine.stats();
  return total;
}

size_t ShardedDetector::bucket_count() const {
  size_t n = 0;
  for (const auto& shard : shards_)
    n += shard->engine.bucket_count();
  return n + local_->engine.bucket_count();
}

std::shared_ptr<Engine::Handoff> ShardedDetector::release_buckets() {
  auto handoff = local_->engine.release_buckets();
  for (auto& shard : shards_)
    handoff = shard->engine.release_buckets_into(std::move(handoff));
  return handoff;
}

size_t ShardedDetector::adopt_buckets(const std::shared_ptr<Engine::Handoff>& handoff) {
  size_t adopted = local_->engine.adopt_buckets(handoff);
  for (auto& shard : shards_)
    adopted += shard->engine.adopt_buckets(handoff);
  return adopted;
}

}  // namespace phalanx::scenario
