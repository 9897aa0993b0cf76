// SPDX-License-Identifier: Apache-2.0
#include "scenario/engine.h"

#include <algorithm>
#include <deque>

#include "core/log.h"
#include "enrich/go_time.h"
#include "expr/go_format.h"
#include "expr/list_cache.h"
#include "parser/event_object.h"
#include "scenario/alert.h"

namespace phalanx::scenario {
namespace {

using expr::Value;
using parser::Event;
using EventPtr = std::shared_ptr<const Event>;

constexpr std::string_view kRfc3339Nano = "2006-01-02T15:04:05.999999999Z07:00";

// A bucket's events, oldest first: a vector with a moving head, so a bucket holding a few
// events costs one small allocation (a std::deque starts at 512 bytes), and dropping the oldest
// is O(1) amortised.
class EventQueue {
 public:
  void push_back(EventPtr e, size_t limit) {
    if (items_.capacity() == 0) items_.reserve(std::min<size_t>(limit, 2));
    items_.push_back(std::move(e));
  }
  void pop_front() {
    items_[head_++].reset();
    if (head_ >= 8 && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + head_);
      head_ = 0;
    }
  }
  size_t size() const { return items_.size() - head_; }
  bool empty() const { return size() == 0; }
  const EventPtr& operator[](size_t i) const { return items_[head_ + i]; }
  auto begin() const { return items_.begin() + head_; }
  auto end() const { return items_.end(); }
  size_t heap_bytes() const { return items_.capacity() * sizeof(EventPtr); }

 private:
  std::vector<EventPtr> items_;
  size_t head_ = 0;
};

// `queue` in conditions and overflow filters: the bucket's events (queue.Queue) and its
// limit (queue.L). A bucket keeps its QueueObject and the event views it made for as long as
// it lives, so a condition evaluated after every pour costs no allocation per queued event.
class QueueObject final : public expr::Object {
 public:
  QueueObject(const EventQueue& events, int64_t limit) : limit_(limit), list_(events) {}
  std::string_view type_name() const override { return "Queue"; }
  Value get(std::string_view field) const override {
    if (field == "Queue") return Value::object(&list_);
    if (field == "L") return Value::integer(limit_);
    return Value();
  }
  std::vector<std::string> keys() const override { return {"L", "Queue"}; }
  // The bucket dropped its oldest event.
  void pop_front() {
    if (!list_.views.empty()) list_.views.pop_front();
    list_.cache.pop_front();
  }

 private:
  struct List final : public expr::Object {
    explicit List(const EventQueue& e) : events(e) {}
    std::string_view type_name() const override { return "[]types.Event"; }
    Value get(std::string_view) const override { return Value(); }
    std::optional<size_t> size() const override { return events.size(); }
    bool is_list() const override { return true; }
    Value at(size_t i) const override {
      if (i >= events.size()) return Value();
      while (views.size() <= i) {
        views.push_back(
            std::make_unique<parser::EventObject>(const_cast<Event*>(events[views.size()].get())));
      }
      return Value::object(views[i].get());
    }
    // Queued events never change and the views live as long as their event is queued: the
    // queue keeps the promises of expr::ListCache, so conditions over it are incremental.
    expr::ListCache* list_cache() const override { return &cache; }
    const EventQueue& events;
    mutable std::deque<std::unique_ptr<parser::EventObject>> views;
    mutable expr::ListCache cache;
  };
  int64_t limit_;
  List list_;
};

float updated(float prior, float given_evil, float given_benign) {
  const float numerator = given_evil * prior;
  const float denominator = numerator + given_benign * (1 - prior);
  return numerator / denominator;
}

}  // namespace

struct Engine::Bucket {
  uint64_t id = 0;
  uint32_t owner = 0;  // the scenario that created the bucket: its settings apply
  bool timemachine = false;
  bool has_first = false;
  bool pending_overflow = false;
  TokenBucket limiter;
  ZonedTime first_ts, last_ts, ovflw_ts;
  int64_t total = 0;
  TimePoint deadline{};  // live mode: when the lifetime timer fires
  EventQueue queue;
  std::unique_ptr<std::unordered_set<std::string>> seen;  // distinct values
  uint64_t guillotined = 0;                   // bayesian conditions that have fired, one bit each
  std::unique_ptr<QueueObject> queue_object;  // `queue` for expressions

  QueueObject& queue_view(const Scenario& s) {
    if (!queue_object) {
      queue_object = std::make_unique<QueueObject>(
          queue, int64_t(s.queue_limit == SIZE_MAX ? -1 : s.queue_limit - 1));
    }
    return *queue_object;
  }
};

struct Engine::Handoff {
  struct Item {
    std::string name, hash, group;
    Bucket bucket;
  };
  struct Hidden {
    std::string name, hash;
    std::unordered_map<std::string, TimePoint> until;
  };
  std::vector<Item> buckets;
  std::vector<Hidden> blackholes;
};

std::shared_ptr<Engine::Handoff> Engine::release_buckets() {
  return release_buckets_into(std::make_shared<Handoff>());
}

std::shared_ptr<Engine::Handoff> Engine::release_buckets_into(std::shared_ptr<Handoff> h) {
  h->buckets.reserve(h->buckets.size() + buckets_.size());
  for (auto& [key, bucket] : buckets_) {
    const Scenario& owner = scenarios_.scenarios()[bucket.owner];
    bucket.queue_object.reset();  // a view of the queue; made again where the bucket lands
    h->buckets.push_back({owner.name(), owner.hash, key.group, std::move(bucket)});
  }
  buckets_.clear();
  for (size_t i = 0; i < blackholes_.size(); ++i) {
    if (blackholes_[i].empty()) continue;
    const Scenario& s = scenarios_.scenarios()[i];
    h->blackholes.push_back({s.name(), s.hash, std::move(blackholes_[i])});
    blackholes_[i].clear();
  }
  return h;
}

size_t Engine::adopt_buckets(const std::shared_ptr<Handoff>& handoff) {
  if (!handoff) return 0;
  std::unordered_map<std::string, uint32_t> by_id;  // name + '\n' + hash -> index here
  for (const auto& s : scenarios_.scenarios())
    by_id.emplace(s.name() + "\n" + s.hash, s.index);
  // A shard takes only the buckets of its own scenarios and leaves the rest for the others.
  auto mine = [&](uint32_t index) { return options_.owned == nullptr || (*options_.owned)[index]; };
  size_t adopted = 0;
  std::vector<Handoff::Item> rest;
  for (auto& item : handoff->buckets) {
    auto it = by_id.find(item.name + "\n" + item.hash);
    if (it == by_id.end()) continue;
    if (!mine(it->second)) {
      rest.push_back(std::move(item));
      continue;
    }
    const Scenario& s = scenarios_.scenarios()[it->second];
    item.bucket.owner = s.index;
    item.bucket.id = next_bucket_id_++;
    if (buckets_.emplace(Key{s.family, item.group}, std::move(item.bucket)).second) ++adopted;
  }
  std::vector<Handoff::Hidden> hidden_rest;
  for (auto& hidden : handoff->blackholes) {
    auto it = by_id.find(hidden.name + "\n" + hidden.hash);
    if (it == by_id.end()) continue;
    if (!mine(it->second)) {
      hidden_rest.push_back(std::move(hidden));
      continue;
    }
    blackholes_[it->second] = std::move(hidden.until);
  }
  handoff->buckets = std::move(rest);
  handoff->blackholes = std::move(hidden_rest);
  return adopted;
}

Engine::Engine(const ScenarioSet& scenarios, EngineOptions options, expr::RunContext run)
    : scenarios_(scenarios), options_(options), run_(run), blackholes_(scenarios.size()) {
  if (run_.clock == nullptr) run_.clock = options_.clock;
}

Engine::~Engine() = default;

TimePoint Engine::now() const {
  return options_.clock != nullptr ? options_.clock->now() : SystemClock::instance().now();
}

std::optional<ZonedTime> Engine::event_time(const Event& evt) {
  if (evt.marshaled_time.empty()) return std::nullopt;
  if (evt.marshaled_time != cached_time_text_) {
    cached_time_text_ = evt.marshaled_time;
    auto t = enrich::parse_go_time(kRfc3339Nano, evt.marshaled_time);
    cached_time_ = t ? std::optional<ZonedTime>(*t) : std::nullopt;
  }
  return cached_time_;
}

size_t Engine::bucket_bytes() const {
  size_t bytes = buckets_.bucket_count() * sizeof(void*);
  for (const auto& [key, b] : buckets_) {
    // The node: the key and bucket, the next pointer and the cached hash.
    bytes += sizeof(BucketMap::value_type) + 2 * sizeof(void*);
    if (key.group.size() > 15) bytes += key.group.capacity() + 1;
    bytes += b.queue.heap_bytes();
    if (b.seen) bytes += sizeof(*b.seen) + b.seen->size() * 64;
  }
  return bytes;
}

void Engine::pour(const Event& evt, std::vector<Event>& out) {
  if (route(evt)) pour_shared(std::make_shared<Event>(evt), out);
}

void Engine::pour(Event&& evt, std::vector<Event>& out) {
  if (!route(evt)) return;
  auto owned = std::make_shared<Event>(std::move(evt));
  // Buckets may hold the event for hours: no more room than its keys need (a copy would have
  // had just that).
  owned->parsed.shrink_to_fit();
  owned->meta.shrink_to_fit();
  owned->enriched.shrink_to_fit();
  pour_shared(std::move(owned), out);
}

bool Engine::route(const Event& evt) {
  ++stats_.events;
  origins_.clear();
  scenarios_.candidates(evt, candidates_, route_cache_);
  if (options_.owned != nullptr) {
    std::erase_if(candidates_, [&](uint32_t i) { return (*options_.owned)[i] == 0; });
  }
  return !candidates_.empty();
}

void Engine::pour_shared(std::shared_ptr<Event> owned, std::vector<Event>& out) {
  // The filters (which may call SetMeta, as in the hub) and every bucket that takes the event
  // see the same copy of it.
  parser::EventObject obj(owned.get());
  const EventPtr shared = std::move(owned);
  const Value vars[] = {Value::object(&obj)};
  memo_.reset();
  expr::RunContext filter_run = run_;
  filter_run.memo = &memo_;
  scenarios_.new_event(guard_scratch_);
  for (uint32_t index : candidates_) {
    const Scenario& s = scenarios_.scenarios()[index];
    if (!scenarios_.guards_hold(index, vars, filter_run, guard_scratch_)) continue;
    // A routed filter leaves out the equalities candidates() has just tested.
    auto match = s.filter.run(vars, filter_run);
    if (!match) {
      ++stats_.errors;
      continue;
    }
    if (!match->truthy()) continue;
    std::string group;
    if (s.groupby.valid()) {
      auto g = s.groupby.run(vars, filter_run);
      if (!g || !g->is_string()) {
        ++stats_.errors;
        log::get("scenario")
            ->debug("scenario {}: groupby did not give a string: {}", s.name(),
                    g ? std::string(g->type_name()) : g.error().message());
        continue;
      }
      group.assign(g->as_string());
    }
    const size_t before = out.size();
    pour_bucket(s, Key{s.family, std::move(group)}, shared, out);
    origins_.resize(origins_.size() + (out.size() - before), index);
    // What the bucket ran (distinct, conditions, overflows) may have changed the event.
    memo_.reset();
    scenarios_.new_event(guard_scratch_);
  }
  if (stats_.events >= next_collect_ ||
      (options_.max_buckets && buckets_.size() > options_.max_buckets)) {
    collect(horizon_);
    enforce_cap();
    next_collect_ = stats_.events + std::max<size_t>(4096, buckets_.size());
  }
}

void Engine::pour_bucket(const Scenario& pouring, Key key, const EventPtr& evt,
                         std::vector<Event>& out) {
  ++stats_.poured;
  const bool timemachine = evt->expect_mode == parser::ExpectMode::kTimeMachine;
  std::optional<ZonedTime> t;
  if (timemachine) {
    t = event_time(*evt);
    if (t && t->time > horizon_) horizon_ = t->time;
  }
  auto it = buckets_.find(key);
  if (it != buckets_.end()) {
    Bucket& b = it->second;
    const Scenario& s = scenarios_.scenarios()[b.owner];
    bool dead = false;
    if (b.timemachine) {
      // A bucket whose event time moved past its lifetime is discarded without an alert.
      dead = b.has_first && t && t->time > b.last_ts.time + s.lifetime;
    } else if (b.deadline != TimePoint{} && now() >= b.deadline) {
      // The lifetime timer has fired: counters overflow, the others end silently.
      if (s.type() == BucketType::kCounter) {
        b.ovflw_ts = ZonedTime{now(), 0};
        overflow(s, it, out);
        it = buckets_.end();
      } else {
        dead = true;
      }
    }
    if (dead) {
      ++stats_.expired;
      buckets_.erase(it);
      it = buckets_.end();
    }
  }
  if (it == buckets_.end()) {
    const Scenario& s = pouring;
    Bucket fresh;
    Bucket* b = &fresh;
    b->id = next_bucket_id_++;
    b->owner = s.index;
    b->timemachine = timemachine;
    if (s.type() == BucketType::kLeaky) {
      b->limiter = TokenBucket(s.config.leakspeed, s.config.capacity);
    }
    it = buckets_.emplace(std::move(key), std::move(fresh)).first;
  }
  Bucket& b = it->second;
  const Scenario& s = scenarios_.scenarios()[b.owner];
  // The clock is read only for live buckets: replay runs on event time.
  const ZonedTime live_now{b.timemachine ? TimePoint{} : now(), 0};

  // Pour hooks, in the hub's order: trigger, distinct, cancel_on.
  if (s.type() == BucketType::kTrigger) {
    const ZonedTime ts = b.timemachine ? t.value_or(ZonedTime{now(), 0}) : live_now;
    b.first_ts = b.last_ts = b.ovflw_ts = ts;
    b.has_first = true;
    b.total = 1;
    b.queue.push_back(evt, s.queue_limit);
    overflow(s, it, out);
    return;
  }
  parser::EventObject obj(const_cast<Event*>(evt.get()));
  const Value vars[] = {Value::object(&obj)};
  if (s.distinct.valid()) {
    auto v = s.distinct.run(vars, run_);
    if (!v) {
      ++stats_.errors;
    } else {
      std::string value = v->is_string() ? std::string(v->as_string()) : std::string();
      if (!b.seen) b.seen = std::make_unique<std::unordered_set<std::string>>();
      if (!b.seen->insert(std::move(value)).second) return;  // already seen: dropped
    }
  }
  if (s.cancel_on.valid()) {
    auto v = s.cancel_on.run(vars, run_);
    if (!v) ++stats_.errors;
    if (v && v->truthy()) {
      ++stats_.canceled;
      buckets_.erase(it);
      return;
    }
  }

  // The pour itself.
  bool overflowed = false;
  std::optional<ZonedTime> when = b.timemachine ? t : std::optional<ZonedTime>(live_now);
  if (!when) {
    ++stats_.untimed;  // not counted and not queued, as in the hub
  } else {
    ++b.total;
    if (!b.has_first) {
      b.first_ts = *when;
      b.has_first = true;
    }
    b.last_ts = *when;
    const bool allowed = s.type() != BucketType::kLeaky || b.limiter.allow(when->time);
    if (!allowed) {
      b.ovflw_ts = *when;
      overflowed = true;
    }
    b.queue.push_back(evt, s.queue_limit);
    if (b.queue.size() > s.queue_limit) {
      b.queue.pop_front();
      if (b.queue_object) b.queue_object->pop_front();
    }
  }

  // After-pour hooks: condition, bayesian.
  if (!overflowed && s.type() == BucketType::kConditional && s.condition.valid()) {
    const Value cvars[] = {vars[0], Value::object(&b.queue_view(s)), Value()};
    auto v = s.condition.run(cvars, run_);
    if (!v) ++stats_.errors;
    if (v && v->truthy()) {
      b.ovflw_ts = b.last_ts;
      overflowed = true;
    }
  }
  if (!overflowed && s.type() == BucketType::kBayesian) {
    const Value cvars[] = {vars[0], Value::object(&b.queue_view(s)), Value()};
    float posterior = float(s.config.bayesian_prior);
    for (size_t i = 0; i < s.bayesian.size(); ++i) {
      const BayesianCondition& c = s.bayesian[i];
      const float pe = float(c.prob_given_evil), pb = float(c.prob_given_benign);
      if (b.guillotined >> i & 1) {
        posterior = updated(posterior, pe, pb);
        continue;
      }
      auto v = c.condition.run(cvars, run_);
      if (!v || !v->is_bool()) {
        ++stats_.errors;
        continue;
      }
      if (v->as_bool()) {
        posterior = updated(posterior, pe, pb);
        if (c.guillotine) b.guillotined |= uint64_t(1) << i;
      } else {
        posterior = updated(posterior, 1 - pe, 1 - pb);
      }
    }
    if (posterior > float(s.config.bayesian_threshold)) {
      b.ovflw_ts = b.last_ts;
      overflowed = true;
    }
  }
  if (overflowed) {
    overflow(s, it, out);
    return;
  }
  if (!b.timemachine) {
    // The lifetime timer: armed on the first pour, reset on each (never for counters).
    if (s.type() != BucketType::kCounter || b.deadline == TimePoint{}) {
      b.deadline = live_now.time + s.lifetime;
    }
  }
}

void Engine::overflow(const Scenario& s, BucketMap::iterator it, std::vector<Event>& out) {
  Bucket& b = it->second;
  const std::string& group = it->first.group;

  // The blackhole: whether an overflow of this key is hidden at b's overflow time, and if not,
  // hides the next ones. It runs after overflow_filter, which can discard an overflow first.
  // The key is the bucket's group: the rest of the alert's mapkey (filter and name) is the same
  // for every bucket of the scenario, so hashing it in would only cost a SHA-1 per overflow.
  auto blackholed = [&] {
    if (!s.config.blackhole) return false;
    auto& hidden = blackholes_[s.index];
    const TimePoint at = b.ovflw_ts.time;
    bool inside = false;
    auto h = hidden.find(group);
    if (h != hidden.end() && h->second > at) {
      inside = true;
    } else {
      hidden[group] = at + *s.config.blackhole;
    }
    if (hidden.size() > 1024 && hidden.size() > 2 * buckets_.size()) {
      std::erase_if(hidden, [&](const auto& kv) { return kv.second <= at; });
    }
    return inside;
  };
  // Without an overflow_filter nothing reads the alert before the blackhole decides, so a hidden
  // overflow is dropped before its alert is built: a brute force that keeps overflowing inside
  // its blackhole costs a hash lookup per overflow, not an alert with every queued event.
  if (!s.overflow_filter.valid() && blackholed()) {
    buckets_.erase(it);
    ++stats_.discarded;
    return;
  }

  auto ovf = std::make_shared<parser::Overflow>();
  ovf->mapkey = sha1_hex(s.config.filter + group + s.name());
  ovf->bucket_id = std::to_string(b.id);
  ovf->reprocess = s.config.reprocess;

  build_alert(s, std::span<const EventPtr>(b.queue.begin(), b.queue.end()),
              {b.first_ts, b.last_ts, b.ovflw_ts, b.total}, run_, *ovf);

  // Overflow hooks, with the scenario's shared state: overflow_filter, then blackhole.
  bool discarded = false;
  if (s.overflow_filter.valid()) {
    parser::OverflowObject signal(ovf.get());
    const Value vars[] = {Value::object(&b.queue_view(s)), Value::object(&signal), Value()};
    auto v = s.overflow_filter.run(vars, run_);
    if (!v || !v->is_bool()) {
      ++stats_.errors;
    } else if (!v->as_bool()) {
      discarded = true;
    }
    if (!discarded) discarded = blackholed();
  }
  const ZonedTime ovflw_ts = b.ovflw_ts;
  buckets_.erase(it);
  if (discarded) {
    ++stats_.discarded;
    return;
  }
  if (ovf->api_alerts.empty()) {
    ++stats_.no_source;
    return;
  }
  ++stats_.overflows;
  Event event;
  event.type = parser::EventType::kOverflow;
  event.expect_mode = parser::ExpectMode::kLive;  // reprocessed overflows run on the clock
  event.marshaled_time = expr::format_rfc3339_nano(ovflw_ts);
  event.time = ovflw_ts;
  event.overflow = std::move(ovf);
  out.push_back(std::move(event));
}

void Engine::tick(std::vector<Event>& out) {
  const TimePoint t = now();
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    Bucket& b = it->second;
    if (b.timemachine || b.deadline == TimePoint{} || t < b.deadline) {
      ++it;
      continue;
    }
    const Scenario& s = scenarios_.scenarios()[b.owner];
    auto next = std::next(it);
    if (s.type() == BucketType::kCounter) {
      b.ovflw_ts = ZonedTime{t, 0};
      overflow(s, it, out);
    } else {
      ++stats_.expired;
      buckets_.erase(it);
    }
    it = next;
  }
}

void Engine::collect(TimePoint horizon) {
  // Time-machine buckets idle past their lifetime would be discarded by their next pour, so
  // dropping them now changes nothing but memory. Counters never overflow in replay.
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const Bucket& b = it->second;
    const Scenario& s = scenarios_.scenarios()[b.owner];
    if (b.timemachine && b.has_first && s.lifetime.count() > 0 &&
        horizon > b.last_ts.time + s.lifetime && s.type() != BucketType::kCounter) {
      ++stats_.expired;
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
}

void Engine::enforce_cap() {
  if (options_.max_buckets == 0 || buckets_.size() <= options_.max_buckets) return;
  // Evict the buckets fed longest ago, down to 90% of the cap so eviction is amortised.
  std::vector<std::pair<TimePoint, BucketMap::iterator>> order;
  order.reserve(buckets_.size());
  for (auto it = buckets_.begin(); it != buckets_.end(); ++it) {
    const Bucket& b = it->second;
    order.emplace_back(b.timemachine ? b.last_ts.time : b.deadline, it);
  }
  const size_t target = options_.max_buckets - options_.max_buckets / 10;
  const size_t drop = buckets_.size() - target;
  std::nth_element(order.begin(), order.begin() + drop, order.end(),
                   [](const auto& a, const auto& z) { return a.first < z.first; });
  for (size_t i = 0; i < drop; ++i)
    buckets_.erase(order[i].second);
  stats_.evicted += drop;
  // Said once at warning level; the evicted counter keeps the running total.
  log::get("scenario")
      ->log(stats_.evicted == drop ? spdlog::level::warn : spdlog::level::debug,
            "bucket cap {} reached: evicted {} least recently fed buckets", options_.max_buckets,
            drop);
}

}  // namespace phalanx::scenario
