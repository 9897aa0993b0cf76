// SPDX-License-Identifier: Apache-2.0
#include "cli/replay.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/output.h"
#include "core/bounded_queue.h"
#include "lapi/alert_json.h"
#include "scenario/sharded_detector.h"

namespace phalanx::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Counters {
  size_t read = 0, parsed = 0, unparsed = 0, whitelisted = 0, errors = 0;
};

// A chunk of lines and, once a worker is done with it, the parsed events.
struct Chunk {
  size_t seq = 0;
  std::vector<std::string> lines;
  std::vector<parser::Event> events;
  std::vector<uint8_t> verdict;  // 0 unparsed, 1 parsed, 2 error
};

class Progress {
 public:
  Progress(uintmax_t total_bytes, bool enabled)
      : total_(total_bytes), enabled_(enabled && total_bytes > 0), start_(Clock::now()) {}
  void update(uintmax_t bytes, size_t lines) {
    if (!enabled_) return;
    const auto now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const double share = std::min(1.0, double(bytes) / double(total_));
    const int width = 30, filled = int(share * width);
    const double secs = std::chrono::duration<double>(now - start_).count();
    std::cerr << fmt::format("\r[{}{}] {:3.0f}% {} lines, {:.0f} lines/s ",
                             std::string(size_t(filled), '='),
                             std::string(size_t(width - filled), ' '), share * 100, lines,
                             secs > 0 ? double(lines) / secs : 0.0)
              << std::flush;
    drawn_ = true;
  }
  void finish() {
    if (drawn_) std::cerr << "\r" << std::string(72, ' ') << "\r" << std::flush;
  }

 private:
  uintmax_t total_;
  bool enabled_;
  Clock::time_point start_, last_{};
  bool drawn_ = false;
};

void print_alert_table_header() {
  std::cout << fmt::format("{:<32} {:<40} {:<42} {:>7}\n", "stop_at", "scenario", "source",
                           "events");
}

void print_alert_row(const parser::Alert& a) {
  std::cout << fmt::format("{:<32} {:<40} {:<42} {:>7}\n", a.stop_at, printable(a.scenario, 40),
                           printable(a.source.scope + ":" + a.source.value, 42), a.events_count);
}

}  // namespace

int run_replay(const ReplayOptions& opts) {
  auto content = load_content(opts.content);
  if (!content) return fail("replay: " + content.error().message());
  report_diagnostics(content->diagnostics, opts.content.show_warnings);
  std::ifstream in(opts.file, std::ios::binary);
  if (!in) return fail("replay: cannot read " + opts.file);
  std::error_code ec;
  const uintmax_t file_size = std::filesystem::file_size(opts.file, ec);
  Progress progress(ec ? 0 : file_size, isatty(STDERR_FILENO) != 0);

  expr::RunContext post_run{.data_files = content->data_files.get(), .stash = content->stash.get()};
  parser::ParseContext post_ctx{.run = &post_run, .enrichers = content->enrichers.get()};
  // The scenarios run on `shards` threads (one: on this thread); the alerts come out the same,
  // in the same order, whatever the count.
  scenario::ShardedDetector detector(*content->scenarios, content->postoverflows.get(), &post_ctx,
                                     {.max_buckets = opts.max_buckets, .clock = nullptr}, post_run,
                                     scenario::ShardedDetector::resolve(opts.shards));
  Counters c;
  std::vector<parser::Event> alerts;
  size_t alert_count = 0;
  std::map<std::string, size_t> by_scenario;
  if (!opts.json) print_alert_table_header();
  auto emit = [&] {
    for (const auto& evt : alerts) {
      for (const auto& a : evt.overflow->api_alerts) {
        ++alert_count;
        ++by_scenario[a.scenario];
        if (opts.json) {
          std::cout << lapi::alert_json(a) << "\n";
        } else {
          print_alert_row(a);
        }
      }
    }
    alerts.clear();
  };
  // One parsed event: counted, and poured when every stage parsed it and no whitelist caught it.
  auto consume = [&](parser::Event& evt, uint8_t verdict) {
    if (verdict == 2) {
      ++c.errors;
    } else if (verdict == 0) {
      ++c.unparsed;
    } else if (evt.whitelisted) {
      ++c.whitelisted;
    } else {
      ++c.parsed;
      detector.feed(std::move(evt), alerts);
      if (!alerts.empty()) emit();
    }
  };

  const ZonedTime now{SystemClock::instance().now(), 0};
  const auto start = Clock::now();
  uintmax_t bytes = 0;
  const size_t workers =
      opts.workers == 0 ? std::max(1u, std::thread::hardware_concurrency()) : opts.workers;
  if (workers <= 1) {
    LineParser parser(*content);
    for (std::string raw; std::getline(in, raw);) {
      bytes += raw.size() + 1;
      if (!raw.empty() && raw.back() == '\r') raw.pop_back();
      if (raw.empty()) continue;
      ++c.read;
      parser::Event evt = parser::make_line_event(raw, opts.type, opts.file, now);
      auto ok = parser.parse(evt);
      consume(evt, !ok ? 2 : *ok ? 1 : 0);
      if ((c.read & 4095) == 0) progress.update(bytes, c.read);
    }
  } else {
    // Workers parse chunks in parallel; the scenarios take them back in input order, so the
    // alerts are the same as with one worker.
    constexpr size_t kChunkLines = 512;
    BoundedQueue<Chunk> todo(workers * 4), done(workers * 4);
    std::vector<std::thread> pool;
    for (size_t w = 0; w < workers; ++w) {
      pool.emplace_back([&] {
        LineParser parser(*content);
        while (auto chunk = todo.pop()) {
          chunk->events.reserve(chunk->lines.size());
          for (const auto& raw : chunk->lines) {
            parser::Event evt = parser::make_line_event(raw, opts.type, opts.file, now);
            auto ok = parser.parse(evt);
            chunk->verdict.push_back(!ok ? 2 : *ok ? 1 : 0);
            chunk->events.push_back(std::move(evt));
          }
          chunk->lines.clear();
          done.push(std::move(*chunk));
        }
      });
    }
    std::thread reader([&] {
      Chunk chunk;
      size_t seq = 0;
      for (std::string raw; std::getline(in, raw);) {
        if (!raw.empty() && raw.back() == '\r') raw.pop_back();
        if (raw.empty()) continue;
        chunk.lines.push_back(std::move(raw));
        if (chunk.lines.size() == kChunkLines) {
          chunk.seq = seq++;
          todo.push(std::move(chunk));
          chunk = Chunk{};
        }
      }
      if (!chunk.lines.empty()) {
        chunk.seq = seq++;
        todo.push(std::move(chunk));
      }
      todo.close();
    });
    std::thread closer([&] {
      for (auto& t : pool)
        t.join();
      done.close();
    });
    std::map<size_t, Chunk> reorder;
    size_t next = 0;
    while (auto chunk = done.pop()) {
      reorder.emplace(chunk->seq, std::move(*chunk));
      for (auto it = reorder.find(next); it != reorder.end(); it = reorder.find(next)) {
        Chunk& ready = it->second;
        for (size_t i = 0; i < ready.events.size(); ++i) {
          ++c.read;
          bytes += ready.events[i].line.raw.size() + 1;
          consume(ready.events[i], ready.verdict[i]);
        }
        reorder.erase(it);
        ++next;
        progress.update(bytes, c.read);
      }
    }
    reader.join();
    closer.join();
  }
  detector.flush(alerts);
  emit();
  progress.finish();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const auto es = detector.engine_stats();
  std::ostream& summary = opts.json ? std::cerr : std::cout;
  if (!opts.json) {
    summary << fmt::format("\nreplayed {} with {}\n", opts.file, content->description);
    for (const auto& [name, n] : by_scenario)
      summary << fmt::format("  {:<50}{:>8}\n", name, n);
  }
  summary << fmt::format(
      "lines read {}, parsed {}, unparsed {}, whitelisted {}, errors {}; poured {}, alerts {}, "
      "live buckets {}, evicted {} — {:.0f} lines/s ({} worker{}, {} shard{})\n",
      c.read, c.parsed, c.unparsed, c.whitelisted, c.errors, es.poured, alert_count,
      detector.bucket_count(), es.evicted, seconds > 0 ? double(c.read) / seconds : 0.0, workers,
      workers == 1 ? "" : "s", detector.shards(), detector.shards() == 1 ? "" : "s");
  return kExitOk;
}

}  // namespace phalanx::cli
