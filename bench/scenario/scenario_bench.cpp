// SPDX-License-Identifier: Apache-2.0
// The bucket engine alone, without parsing: pours per second into a leaky ssh brute-force
// scenario, from one source (one hot bucket) and from unique sources (a new bucket per event, as
// under a flood), and the heap bytes each live bucket costs.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <memory>
#include <string>
#include <vector>

#include "expr/go_format.h"
#include "scenario/engine.h"

namespace phalanx::scenario {
namespace {

constexpr const char* kSshBf = R"(type: leaky
name: bench/ssh-bf
description: ssh brute force
filter: evt.Meta.log_type == 'ssh_failed-auth'
groupby: evt.Meta.source_ip
capacity: 5
leakspeed: 10s
blackhole: 1m
labels:
  remediation: true
)";

std::unique_ptr<ScenarioSet> load() {
  Diagnostics diags;
  auto set = ScenarioSet::load(
      {.items = {{"bench.yaml", kSshBf}}, .data_files = nullptr, .functions = {}}, diags);
  if (diags.has_errors() || set->size() != 1) std::abort();
  return set;
}

parser::Event event(uint32_t source, int64_t ms) {
  parser::Event e;
  e.expect_mode = parser::ExpectMode::kTimeMachine;
  e.meta.set("log_type", "ssh_failed-auth");
  e.meta.set("service", "ssh");
  e.meta.set("source_ip", std::to_string(10 + (source >> 16 & 0xff)) + "." +
                              std::to_string(source >> 8 & 0xff) + "." +
                              std::to_string(source & 0xff) + ".1");
  e.meta.set("target_user", "root");
  e.time = ZonedTime{TimePoint(std::chrono::milliseconds(1'795'000'000'000 + ms)), 0};
  e.marshaled_time = expr::format_rfc3339_nano(e.time);
  return e;
}

// One source sending a failure every 3 s: the bucket leaks faster than it fills (no overflow).
void BM_PourOneSource(benchmark::State& state) {
  auto set = load();
  Engine engine(*set, {}, {});
  std::vector<parser::Event> events;
  for (int i = 0; i < 4096; ++i)
    events.push_back(event(1, i * 3000));
  std::vector<parser::Event> out;
  size_t i = 0;
  for (auto _ : state) {
    engine.pour(events[i++ & 4095], out);
    out.clear();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PourOneSource);

// Every event from a new source: a bucket is created per pour, idle buckets are collected.
void BM_PourUniqueSources(benchmark::State& state) {
  auto set = load();
  Engine engine(*set, {}, {});
  std::vector<parser::Event> events;
  for (uint32_t i = 0; i < 65536; ++i)
    events.push_back(event(i, i));
  std::vector<parser::Event> out;
  size_t i = 0;
  for (auto _ : state) {
    engine.pour(events[i++ & 65535], out);
    out.clear();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PourUniqueSources);

// Heap bytes per live bucket: 100k sources poured once each within one leak window (so none is
// collected), measured with mallinfo2 around the pours. The queued events are counted apart:
// one event shared by every scenario it feeds.
void BM_BytesPerBucket(benchmark::State& state) {
  const size_t n = 100'000;
  auto set = load();
  std::vector<parser::Event> events;
  for (uint32_t i = 0; i < n; ++i)
    events.push_back(event(i, 0));
  for (auto _ : state) {
    Engine engine(*set, {}, {});
    std::vector<parser::Event> out;
    malloc_trim(0);
    const size_t before = mallinfo2().uordblks;
    for (const auto& e : events)
      engine.pour(e, out);
    const size_t after = mallinfo2().uordblks;
    const double total = double(after - before) / double(n);
    const double engine_side = double(engine.bucket_bytes()) / double(engine.bucket_count());
    state.counters["bytes_per_bucket_total"] = total;
    state.counters["bytes_per_bucket_state"] = engine_side;
    state.counters["bytes_per_queued_event"] = total - engine_side;
    state.counters["live_buckets"] = double(engine.bucket_count());
  }
}
BENCHMARK(BM_BytesPerBucket)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace phalanx::scenario

BENCHMARK_MAIN();
