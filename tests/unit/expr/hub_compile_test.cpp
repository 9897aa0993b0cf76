// SPDX-License-Identifier: Apache-2.0
// Compiles every expression of the CrowdSec hub (parsers, scenarios, postoverflows) and every
// line of every hubtest parser.assert / scenario.assert, and reports how many compile.
// Needs the hub: $PHALANX_HUB_DIR, or ../shared/hub next to the source tree; skipped without.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "core/yaml.h"
#include "expr/data_files.h"
#include "expr/program.h"

namespace phalanx::expr {
namespace {

namespace fs = std::filesystem;

std::string hub_dir() {
  if (const char* env = std::getenv("PHALANX_HUB_DIR")) return env;
  return PHALANX_SOURCE_DIR "/../shared/hub";
}

struct Found {
  std::string where;
  std::string source;
  std::vector<std::string> variables;
};

const std::vector<std::string> kEvt = {"evt"};
const std::vector<std::string> kBucket = {"evt", "queue", "leaky", "signal"};

class Collector {
 public:
  explicit Collector(DataFiles& files) : files_(files) {}

  void file(const fs::path& path) {
    auto docs = yaml::load_file(path.string());
    if (!docs) {
      yaml_errors.push_back(docs.error().message());
      return;
    }
    for (const auto& doc : *docs)
      walk(doc.root, path.string(), "");
  }

  std::vector<Found> found;
  std::vector<std::string> yaml_errors;

 private:
  void add(const YAML::Node& node, const std::string& file, const std::string& key) {
    if (!node.IsScalar()) return;
    std::string text = node.as<std::string>();
    if (text.empty()) return;
    bool bucket = key == "condition" || key == "overflow_filter";
    found.push_back({file + ":" + std::to_string(yaml::line_of(node)) + " (" + key + ")", text,
                     bucket ? kBucket : kEvt});
  }

  void walk(const YAML::Node& node, const std::string& file, const std::string& parent) {
    if (node.IsSequence()) {
      for (const auto& item : node)
        walk(item, file, parent);
      return;
    }
    if (!node.IsMap()) return;
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      const YAML::Node& value = kv.second;
      static const std::set<std::string> kKeys = {"filter",    "groupby",   "distinct",
                                                  "condition", "cancel_on", "overflow_filter"};
      if (kKeys.count(key)) {
        add(value, file, key);
      } else if (key == "expression") {
        if (value.IsSequence()) {
          for (const auto& item : value)
            add(item, file, parent + ".expression");
        } else {
          add(value, file, parent.empty() ? "expression" : parent + ".expression");
        }
      } else if (parent == "stash" && (key == "key" || key == "value")) {
        add(value, file, "stash." + key);
      } else if (key == "data") {
        load_data(value);
      } else if (key != "labels" && key != "description" && key != "references") {
        walk(value, file, key);
      }
    }
  }

  void load_data(const YAML::Node& data) {
    if (!data.IsSequence()) return;
    for (const auto& entry : data) {
      if (!entry.IsMap() || !entry["dest_file"] || !entry["type"]) continue;
      DataSourceSpec spec{"", entry["dest_file"].as<std::string>(),
                          entry["type"].as<std::string>()};
      (void)files_.load(spec);  // some hub data is downloaded at install time only
    }
  }

  DataFiles& files_;
};

std::vector<fs::path> yaml_files(const fs::path& root) {
  std::vector<fs::path> out;
  if (!fs::exists(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Tally {
  size_t total = 0, compiled = 0;
  std::map<std::string, size_t> reasons;
  std::vector<std::string> samples;

  void record(const Found& f, const Result<Program>& p) {
    ++total;
    if (p) {
      ++compiled;
      return;
    }
    std::string reason = p.error().message();
    ++reasons[reason.substr(0, reason.find(" at column"))];
    if (samples.size() < 30) samples.push_back(f.where + ": " + reason + "\n    " + f.source);
  }
  void report(const std::string& what) const {
    std::cout << "[hub] " << what << ": " << compiled << " / " << total << " compile\n";
    for (const auto& s : samples)
      std::cout << "  FAIL " << s << "\n";
    for (const auto& [r, n] : reasons)
      std::cout << "  " << n << "x " << r << "\n";
  }
};

TEST(HubCompile, EveryHubExpressionCompiles) {
  fs::path hub = hub_dir();
  if (!fs::exists(hub / "parsers")) GTEST_SKIP() << "CrowdSec hub not found at " << hub;
  DataFiles files((hub / "data").string());
  Collector collector(files);
  for (const char* dir : {"parsers", "scenarios", "postoverflows"}) {
    for (const auto& path : yaml_files(hub / dir))
      collector.file(path);
  }
  Tally tally;
  for (const Found& f : collector.found) {
    CompileOptions opts{.variables = f.variables, .data_files = &files};
    tally.record(f, compile(f.source, opts));
  }
  tally.report("parser/scenario/postoverflow expressions");
  for (const auto& e : collector.yaml_errors)
    std::cout << "  yaml: " << e << "\n";
  EXPECT_GT(tally.total, 3000u);
  EXPECT_EQ(tally.compiled, tally.total);
}

TEST(HubCompile, EveryAssertLineCompiles) {
  fs::path tests = fs::path(hub_dir()) / ".tests";
  if (!fs::exists(tests)) GTEST_SKIP() << "CrowdSec hub tests not found at " << tests;
  Tally tally;
  CompileOptions opts{.variables = {"results"}};
  for (const auto& dir : fs::directory_iterator(tests)) {
    for (const char* name : {"parser.assert", "scenario.assert"}) {
      std::ifstream in(dir.path() / name);
      std::string line;
      for (int n = 1; std::getline(in, line); ++n) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        Found f{(dir.path() / name).string() + ":" + std::to_string(n), line, {"results"}};
        tally.record(f, compile(line, opts));
      }
    }
  }
  tally.report("hubtest assert lines");
  EXPECT_GT(tally.total, 10000u);
  EXPECT_EQ(tally.compiled, tally.total);
}

}  // namespace
}  // namespace phalanx::expr
