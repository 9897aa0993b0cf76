// SPDX-License-Identifier: Apache-2.0
// Shared fixture for the parser tests: writes inline YAML parser files into a fresh temporary
// tree (parsers/<stage>/<file>.yaml), loads them the way the agent does (discover_parsers +
// Pipeline::load) and runs events through them with a real stash, enrichers and a manual
// clock, so every test exercises the public loading and parsing path.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/diagnostics.h"
#include "expr/data_files.h"
#include "expr/program.h"
#include "expr/stash.h"
#include "parser/enrichers.h"
#include "parser/event.h"
#include "parser/pipeline.h"

namespace phalanx::parser::testing {

namespace fs = std::filesystem;

using Names = std::vector<std::string>;

// 1-based line of the first line of `text` containing `needle` (0 when absent), so tests can
// name the expected line of a diagnostic without counting lines of a raw string by hand.
inline int line_containing(std::string_view text, std::string_view needle) {
  int line = 1;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (text.substr(start, end - start).find(needle) != std::string_view::npos) return line;
    start = end + 1;
    ++line;
  }
  return 0;
}

// An observer that records every top-level node evaluation.
struct RecordingObserver : ParseObserver {
  struct Call {
    std::string stage;
    std::string node;
    bool success;
    StringMap parsed;
    StringMap meta;
    std::string event_stage;
  };
  std::vector<Call> calls;

  void on_node(std::string_view stage, const std::string& node, const Event& event,
               bool success) override {
    calls.push_back({std::string(stage), node, success, event.parsed, event.meta, event.stage});
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& c : calls)
      out.push_back(c.node);
    return out;
  }
};

// 2021-06-15T10:20:30Z: "now" for the enrichers and the stash in every test.
inline TimePoint fixed_now() {
  return TimePoint(std::chrono::seconds(1623752430));
}

class ParserFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() / ("phalanx-parser-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(counter.fetch_add(1)) + "-" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "parsers");
    fs::create_directories(root_ / "data");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Writes `content` at root/parsers/<rel> (e.g. "s01-parse/x.yaml").
  std::string write_parser(const std::string& rel, std::string_view content) {
    return write_file(root_ / "parsers" / rel, content);
  }
  // Writes `content` at root/data/<name>.
  std::string write_data(const std::string& name, std::string_view content) {
    return write_file(root_ / "data" / name, content);
  }
  // Empties root/parsers, for table-driven tests that load several trees in one test.
  void reset_parsers() {
    fs::remove_all(root_ / "parsers");
    fs::create_directories(root_ / "parsers");
  }
  std::string parser_path(const std::string& rel) const {
    return (root_ / "parsers" / rel).string();
  }

  // Discovers and loads root/parsers; the pipeline and diagnostics are kept in the fixture.
  // Returns false (with a test failure) when discovery itself fails.
  bool load() {
    auto items = discover_parsers((root_ / "parsers").string());
    EXPECT_TRUE(items) << (items ? "" : items.error().message());
    if (!items) return false;
    PipelineOptions options;
    options.items = std::move(*items);
    options.pattern_dirs = pattern_dirs_;
    data_files_ = std::make_shared<expr::DataFiles>((root_ / "data").string());
    options.data_files = data_files_;
    diags_ = Diagnostics();
    pipeline_ = Pipeline::load(options, diags_);
    if (pipeline_ == nullptr) {
      ADD_FAILURE() << "Pipeline::load returned null";
      return false;
    }
    stash_ = std::make_unique<expr::LruStash>(clock_);
    pipeline_->configure_stash(*stash_);
    return make_enrichers();
  }

  // Loads and expects no diagnostic at all (for tests whose fixtures are valid).
  void load_clean() {
    ASSERT_TRUE(load());
    ASSERT_TRUE(diags_.empty()) << all_diagnostics();
  }

  // Rebuilds the enrichers (after changing pinned_year_).
  bool make_enrichers() {
    EnricherOptions options;
    options.pinned_year = pinned_year_;
    options.clock = &clock_;
    auto enrichers = Enrichers::create(options);
    EXPECT_TRUE(enrichers) << (enrichers ? "" : enrichers.error().message());
    if (!enrichers) return false;
    enrichers_ = std::move(*enrichers);
    return true;
  }

  // When set, parse() has the top-level nodes count into it.
  std::vector<NodeCount>* node_counts_ = nullptr;

  // Runs the pipeline. The returned Result is the pipeline's (process flag or error).
  Result<bool> parse(Event& evt, ParseObserver* observer = nullptr) {
    expr::RunContext run;
    run.data_files = data_files_.get();
    run.stash = stash_.get();
    run.clock = &clock_;
    ParseContext ctx;
    ctx.run = &run;
    ctx.enrichers = enrichers_.get();
    ctx.node_counts = node_counts_;
    return pipeline_->parse(evt, ctx, observer);
  }

  // Parses and expects no pipeline error; returns the process flag.
  bool parse_ok(Event& evt, ParseObserver* observer = nullptr) {
    auto out = parse(evt, observer);
    EXPECT_TRUE(out) << (out ? "" : out.error().message());
    return out && *out;
  }

  struct SingleRun {
    bool success = false;  // the top-level node's result, as the observer saw it
    size_t observed = 0;   // number of top-level evaluations observed
    Event event;
  };
  // Loads `yaml` as the only parser file (stage s01-parse) and runs `evt` through it.
  SingleRun run_single(std::string_view yaml, Event evt) {
    SingleRun out;
    reset_parsers();
    write_parser("s01-parse/node.yaml", yaml);
    if (!load()) return out;
    EXPECT_TRUE(diags_.empty()) << all_diagnostics();
    RecordingObserver observer;
    parse_ok(evt, &observer);
    out.observed = observer.calls.size();
    out.success = !observer.calls.empty() && observer.calls.front().success;
    out.event = std::move(evt);
    return out;
  }

  static Event log_event(std::string raw, std::string type = "test") {
    Event evt;
    evt.line.raw = std::move(raw);
    evt.line.src = "/var/log/test.log";
    evt.line.module = "file";
    evt.line.labels.set("type", type);
    evt.time.time = TimePoint(std::chrono::seconds(1000));  // the "ingest time"
    return evt;
  }

  std::string all_diagnostics() const {
    std::string out;
    for (const auto& d : diags_.items())
      out += d.to_string() + "\n";
    return out;
  }
  // The first error whose message contains `needle`, or nullptr.
  const Diagnostic* find_error(std::string_view needle) const {
    for (const auto& d : diags_.items()) {
      if (d.severity == Diagnostic::Severity::kError &&
          d.to_string().find(needle) != std::string::npos) {
        return &d;
      }
    }
    return nullptr;
  }

  fs::path root_;
  std::vector<std::string> pattern_dirs_;
  std::optional<int> pinned_year_;
  ManualClock clock_{fixed_now()};
  Diagnostics diags_;
  std::shared_ptr<expr::DataFiles> data_files_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<expr::LruStash> stash_;
  std::unique_ptr<Enrichers> enrichers_;

 private:
  static std::string write_file(const fs::path& path, std::string_view content) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out.write(content.data(), std::streamsize(content.size()));
    EXPECT_TRUE(out.good()) << "writing " << path;
    return path.string();
  }
};

}  // namespace phalanx::parser::testing
