// SPDX-License-Identifier: Apache-2.0
#include "cli/content.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "hub/index.h"

namespace phalanx::cli {
namespace fs = std::filesystem;

std::string default_content_dir() {
  if (const char* env = std::getenv("PHALANX_CONTENT_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  if (fs::is_directory(PHALANX_INSTALLED_CONTENT_DIR)) return PHALANX_INSTALLED_CONTENT_DIR;
  return PHALANX_SOURCE_CONTENT_DIR;
}

Result<std::vector<scenario::ScenarioItem>> discover_scenarios(const std::string& dir) {
  std::vector<scenario::ScenarioItem> out;
  if (!fs::is_directory(dir)) return out;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec);
  if (ec) return Error("listing scenarios in " + dir + ": " + ec.message(), ec.value());
  for (const auto& entry : it) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
      out.push_back({entry.path().string(), {}});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

namespace {

Result<std::vector<parser::ParserItem>> discover_postoverflows(const std::string& dir) {
  if (!fs::is_directory(dir)) return std::vector<parser::ParserItem>{};
  return parser::discover_parsers(dir);
}

}  // namespace

Result<Content> load_content(const ContentOptions& options) {
  Content content;
  parser::PipelineOptions popts;
  parser::PipelineOptions post_opts;
  scenario::LoadOptions sopts;
  if (!options.hub_dir.empty()) {
    PHALANX_TRY(auto index, hub::Index::load(options.hub_dir));
    popts.pattern_dirs = {index.patterns_dir()};
    content.data_files = std::make_shared<expr::DataFiles>(index.data_dir());
    if (options.collections.empty()) {
      PHALANX_TRY(popts.items, parser::discover_parsers(options.hub_dir + "/parsers"));
      PHALANX_TRY(sopts.items, discover_scenarios(options.hub_dir + "/scenarios"));
      PHALANX_TRY(post_opts.items, discover_postoverflows(options.hub_dir + "/postoverflows"));
      content.description = "hub " + options.hub_dir + " (every parser and scenario)";
    } else {
      PHALANX_TRY(auto selection, index.resolve_collections(options.collections));
      for (const auto& item : selection.parsers)
        popts.items.push_back({item.stage, item.path, {}});
      for (const auto& item : selection.scenarios)
        sopts.items.push_back({item.path, {}});
      for (const auto& item : selection.postoverflows)
        post_opts.items.push_back({item.stage, item.path, {}});
      content.description = "hub " + options.hub_dir + " (" +
                            std::to_string(options.collections.size()) + " collection(s))";
    }
  } else {
    const std::string dir = options.config_dir.empty() ? default_content_dir() : options.config_dir;
    if (!fs::is_directory(dir + "/parsers")) {
      return Error("content directory " + dir + " has no parsers/ directory");
    }
    PHALANX_TRY(popts.items, parser::discover_parsers(dir + "/parsers"));
    PHALANX_TRY(sopts.items, discover_scenarios(dir + "/scenarios"));
    PHALANX_TRY(post_opts.items, discover_postoverflows(dir + "/postoverflows"));
    if (fs::is_directory(dir + "/patterns")) popts.pattern_dirs = {dir + "/patterns"};
    content.data_files = std::make_shared<expr::DataFiles>(dir + "/data");
    content.description = "content " + dir;
  }
  popts.data_files = content.data_files;
  if (!post_opts.items.empty()) post_opts.pattern_dirs = popts.pattern_dirs;
  post_opts.data_files = content.data_files;
  sopts.data_files = content.data_files;
  content.pipeline = parser::Pipeline::load(popts, content.diagnostics);
  content.scenarios = scenario::ScenarioSet::load(sopts, content.diagnostics);
  content.postoverflows = parser::Pipeline::load(post_opts, content.diagnostics);
  parser::EnricherOptions eopts{.geoip_city_path = options.geoip_city_path,
                                .geoip_asn_path = options.geoip_asn_path,
                                .pinned_year = options.year};
  PHALANX_TRY(content.enrichers, parser::Enrichers::create(eopts));
  content.stash = std::make_unique<expr::LruStash>();
  content.pipeline->configure_stash(*content.stash);
  content.postoverflows->configure_stash(*content.stash);
  return content;
}

LineParser::LineParser(Content& content)
    : content_(content),
      run_{.data_files = content.data_files.get(), .stash = content.stash.get()},
      ctx_{.run = &run_, .enrichers = content.enrichers.get()} {}

Result<bool> LineParser::parse(parser::Event& evt, parser::ParseObserver* observer) {
  return content_.pipeline->parse(evt, ctx_, observer);
}

}  // namespace phalanx::cli
