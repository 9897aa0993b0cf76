// SPDX-License-Identifier: Apache-2.0
// Where detection content comes from, for the CLI commands that run it (explain, replay, lint):
// a hub directory (--hub, with optional --collection filters), a config directory (--config,
// laid out as parsers/<stage>/…, scenarios/, postoverflows/<stage>/…, patterns/, data/), or
// Phalanx's own content by default.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "core/result.h"
#include "expr/data_files.h"
#include "expr/program.h"
#include "expr/stash.h"
#include "parser/enrichers.h"
#include "parser/pipeline.h"
#include "scenario/scenario.h"

namespace phalanx::cli {

struct ContentOptions {
  std::string hub_dir;
  std::string config_dir;
  std::vector<std::string> collections;  // hub collections; empty with --hub: every parser
  std::optional<int> year;               // pin the year of year-less timestamps
  std::string geoip_city_path;
  std::string geoip_asn_path;
  bool show_warnings = false;  // print load warnings one by one
};

// Everything needed to parse lines and detect: the parser pipeline, the scenarios, the
// postoverflow stages and the services their nodes use.
struct Content {
  std::string description;  // "hub /x (3 collections)", for summaries
  std::shared_ptr<expr::DataFiles> data_files;
  std::unique_ptr<parser::Pipeline> pipeline;
  std::unique_ptr<scenario::ScenarioSet> scenarios;
  std::unique_ptr<parser::Pipeline> postoverflows;
  std::unique_ptr<parser::Enrichers> enrichers;
  std::unique_ptr<expr::LruStash> stash;
  Diagnostics diagnostics;
};

// The directory of Phalanx's own content: $PHALANX_CONTENT_DIR, else the installed share
// directory, else the source tree's scenarios/ (for runs from a build directory).
std::string default_content_dir();

// Loads content. Load problems are kept in Content::diagnostics (the valid nodes and scenarios
// still load); errors: unknown collection, unreadable directories, GeoIP databases that cannot
// be opened.
Result<Content> load_content(const ContentOptions& options);

// The scenario files (*.yaml, *.yml) below dir, sorted by path; none when dir does not exist.
Result<std::vector<scenario::ScenarioItem>> discover_scenarios(const std::string& dir);

// One parser worker's state over loaded content.
class LineParser {
 public:
  explicit LineParser(Content& content);
  // Runs an event (see parser::make_line_event) through the pipeline.
  Result<bool> parse(parser::Event& evt, parser::ParseObserver* observer = nullptr);
  // Has the top-level parser nodes count what they did into `counts` (sized to
  // Pipeline::counted_nodes()), or stop counting (nullptr).
  void count_nodes(std::vector<parser::NodeCount>* counts) { ctx_.node_counts = counts; }

 private:
  Content& content_;
  expr::RunContext run_;
  parser::ParseContext ctx_;
};

}  // namespace phalanx::cli
