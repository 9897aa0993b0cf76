// SPDX-License-Identifier: Apache-2.0
#include "agent/pipeline.h"

#include <algorithm>
#include <mutex>
#include <thread>

#include "core/bounded_queue.h"
#include "core/log.h"
#include "scenario/sharded_detector.h"

namespace phalanx::agent {
namespace {

constexpr size_t kBatch = 64;
constexpr std::chrono::milliseconds kIdleWait{200};

struct Parsed {
  parser::Event event;
  TimePoint read_at;
};

}  // namespace

parser::Event make_event(acquisition::Line&& line) {
  parser::Event evt;
  evt.expect_mode =
      line.time_machine ? parser::ExpectMode::kTimeMachine : parser::ExpectMode::kLive;
  evt.line.raw = std::move(line.raw);
  evt.line.src = std::move(line.src);
  evt.line.module = std::move(line.module);
  evt.line.process = true;
  evt.line.time = ZonedTime{line.read_at, 0};
  evt.time = evt.line.time;
  if (line.labels) {
    for (const auto& [k, v] : *line.labels)
      evt.line.labels.set(k, v);
  }
  return evt;
}

struct Pipeline::Impl {
  Impl(cli::Content& c, PipelineOptions o, AlertCallback cb)
      : content(c),
        options(std::move(o)),
        on_alerts(std::move(cb)),
        lines(options.queue_capacity),
        events(options.queue_capacity),
        node_counts(c.pipeline->node_count()) {}

  cli::Content& content;
  PipelineOptions options;
  AlertCallback on_alerts;
  BoundedQueue<acquisition::Line> lines;
  BoundedQueue<Parsed> events;
  std::vector<std::thread> workers;
  std::thread detector;
  bool started = false, stopped = false;
  std::mutex stop_mu;

  mutable std::mutex overflow_mu;
  std::map<std::string, uint64_t> overflows;
  // Set before start (adopted by the detector thread), filled when the detector thread ends.
  std::shared_ptr<scenario::Engine::Handoff> handoff_in, handoff_out;
  mutable std::mutex by_type_mu;
  std::map<std::pair<std::string, std::string>, uint64_t> by_type;
  std::vector<parser::NodeCount> node_counts;  // guarded by by_type_mu
};

Pipeline::Pipeline(cli::Content& content, PipelineOptions options, AlertCallback on_alerts)
    : impl_(std::make_unique<Impl>(content, std::move(options), std::move(on_alerts))) {
  workers_ = impl_->options.workers != 0 ? impl_->options.workers
                                         : std::max<size_t>(1, std::thread::hardware_concurrency());
}

Pipeline::~Pipeline() {
  stop();
}

void Pipeline::start() {
  std::lock_guard lock(impl_->stop_mu);
  if (impl_->started) return;
  impl_->started = true;
  Impl& im = *impl_;
  const Clock& clock = im.options.clock ? *im.options.clock : SystemClock::instance();
  for (size_t w = 0; w < workers_; ++w) {
    im.workers.emplace_back([this, &im] {
      cli::LineParser parser(im.content);
      std::vector<acquisition::Line> batch;
      batch.reserve(kBatch);
      // Per batch: counts by (type, result) and per parser node, added to the shared totals
      // under one lock.
      std::map<std::pair<std::string, std::string>, uint64_t> counts;
      std::vector<parser::NodeCount> node_counts(im.node_counts.size());
      parser.count_nodes(&node_counts);
      static constexpr const char* kResult[] = {"error", "unparsed", "whitelisted", "parsed"};
      while (im.lines.pop_batch(batch, kBatch, kIdleWait)) {
        for (auto& line : batch) {
          const TimePoint read_at = line.read_at;
          parser::Event evt = make_event(std::move(line));
          auto ok = parser.parse(evt);
          int result = 3;
          if (!ok) {
            result = 0;
            stats_.errors.fetch_add(1, std::memory_order_relaxed);
          } else if (!*ok) {
            result = 1;
            stats_.unparsed.fetch_add(1, std::memory_order_relaxed);
          } else if (evt.whitelisted) {
            result = 2;
            stats_.whitelisted.fetch_add(1, std::memory_order_relaxed);
          } else {
            stats_.parsed.fetch_add(1, std::memory_order_relaxed);
          }
          ++counts[{std::string(evt.line.labels.get("type")), kResult[result]}];
          if (result == 3) im.events.push(Parsed{std::move(evt), read_at});
        }
        batch.clear();
        std::lock_guard lock(im.by_type_mu);
        for (auto& [k, n] : counts)
          im.by_type[k] += n;
        counts.clear();
        for (size_t i = 0; i < node_counts.size(); ++i) {
          im.node_counts[i].entered += node_counts[i].entered;
          im.node_counts[i].parsed += node_counts[i].parsed;
          node_counts[i] = {};
        }
      }
    });
  }
  im.detector = std::thread([this, &im, &clock] {
    expr::RunContext run{.data_files = im.content.data_files.get(),
                         .stash = im.content.stash.get()};
    parser::ParseContext post_ctx{.run = &run, .enrichers = im.content.enrichers.get()};
    scenario::ShardedDetector detector(*im.content.scenarios, im.content.postoverflows.get(),
                                       &post_ctx,
                                       {.max_buckets = im.options.max_buckets, .clock = &clock},
                                       run, scenario::ShardedDetector::resolve(im.options.shards));
    shards_ = detector.shards();
    if (im.handoff_in) {
      adopted_ = detector.adopt_buckets(im.handoff_in);
      im.handoff_in.reset();
      log::get("agent")->info("{} live bucket(s) carried over from before the reload",
                              adopted_.load());
    }
    std::vector<Parsed> batch;
    std::vector<parser::Event> out;
    auto next_tick = std::chrono::steady_clock::now() + im.options.tick;
    auto deliver = [&] {
      if (out.empty()) return;
      std::vector<parser::Alert> alerts;
      {
        std::lock_guard lock(im.overflow_mu);
        for (auto& evt : out) {
          if (!evt.overflow) continue;
          for (auto& a : evt.overflow->api_alerts) {
            ++im.overflows[a.scenario];
            alerts.push_back(std::move(a));
          }
        }
      }
      out.clear();
      if (alerts.empty()) return;
      stats_.alerts.fetch_add(alerts.size(), std::memory_order_relaxed);
      im.on_alerts(std::move(alerts));
    };
    const auto wait = std::min(im.options.tick, kIdleWait);
    bool open = true;
    while (open) {
      open = im.events.pop_batch(batch, kBatch, wait);
      for (auto& p : batch)
        detector.feed(std::move(p.event), out);
      // Nothing waits for a batch to fill: what was taken is poured before the next wait.
      if (!batch.empty()) detector.flush(out);
      for (auto& p : batch) {
        const auto took = clock.now() - p.read_at;
        const auto us = static_cast<uint64_t>(std::max<int64_t>(
            0, std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
        stats_.latency_us_sum.fetch_add(us, std::memory_order_relaxed);
        stats_.latency_count.fetch_add(1, std::memory_order_relaxed);
        uint64_t seen = stats_.latency_us_max.load(std::memory_order_relaxed);
        while (us > seen && !stats_.latency_us_max.compare_exchange_weak(seen, us)) {
        }
      }
      deliver();
      batch.clear();
      if (const auto now = std::chrono::steady_clock::now(); now >= next_tick) {
        detector.tick(out);
        deliver();
        next_tick = now + im.options.tick;
      }
      bucket_count_.store(detector.bucket_count(), std::memory_order_relaxed);
    }
    detector.flush(out);
    deliver();
    // The live buckets outlive this detector, in case a reload wants them.
    im.handoff_out = detector.release_buckets();
  });
}

void Pipeline::stop() {
  std::lock_guard lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->lines.close();
  for (auto& t : impl_->workers)
    t.join();
  impl_->events.close();
  if (impl_->detector.joinable()) impl_->detector.join();
}

bool Pipeline::push(acquisition::Line line) {
  if (!impl_->lines.push(std::move(line))) return false;
  stats_.lines.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool Pipeline::try_push(acquisition::Line& line) {
  if (!impl_->lines.try_push(line)) return false;
  stats_.lines.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void Pipeline::adopt_buckets(std::shared_ptr<scenario::Engine::Handoff> handoff) {
  impl_->handoff_in = std::move(handoff);
}

std::shared_ptr<scenario::Engine::Handoff> Pipeline::take_buckets() {
  return std::move(impl_->handoff_out);
}

size_t Pipeline::line_queue_depth() const {
  return impl_->lines.size();
}
size_t Pipeline::event_queue_depth() const {
  return impl_->events.size();
}

std::map<std::string, uint64_t> Pipeline::overflows_by_scenario() const {
  std::lock_guard lock(impl_->overflow_mu);
  return impl_->overflows;
}

std::map<std::pair<std::string, std::string>, uint64_t> Pipeline::lines_by_type() const {
  std::lock_guard lock(impl_->by_type_mu);
  return impl_->by_type;
}

std::vector<Pipeline::NodeTotals> Pipeline::parser_nodes() const {
  const auto nodes = impl_->content.pipeline->counted_nodes();
  std::vector<NodeTotals> out;
  out.reserve(nodes.size());
  std::lock_guard lock(impl_->by_type_mu);
  for (size_t i = 0; i < nodes.size() && i < impl_->node_counts.size(); ++i)
    out.push_back({nodes[i].stage, nodes[i].name, impl_->node_counts[i]});
  return out;
}

}  // namespace phalanx::agent
