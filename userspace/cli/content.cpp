// SPDX-License-Identifier: Apache-2.0
#include "cli/content.h"

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

Result<Content> load_content(const ContentOptions& options) {
  Content content;
  parser::PipelineOptions popts;
  if (!options.hub_dir.empty()) {
    PHALANX_TRY(auto index, hub::Index::load(options.hub_dir));
    popts.pattern_dirs = {index.patterns_dir()};
    content.data_files = std::make_shared<expr::DataFiles>(index.data_dir());
    if (options.collections.empty()) {
      PHALANX_TRY(popts.items, parser::discover_parsers(options.hub_dir + "/parsers"));
      content.description = "hub " + options.hub_dir + " (every parser)";
    } else {
      PHALANX_TRY(auto selection, index.resolve_collections(options.collections));
      for (const auto& item : selection.parsers)
        popts.items.push_back({item.stage, item.path, {}});
      content.description = "hub " + options.hub_dir + " (" +
                            std::to_string(options.collections.size()) + " collection(s))";
    }
  } else {
    const std::string dir = options.config_dir.empty() ? default_content_dir() : options.config_dir;
    if (!fs::is_directory(dir + "/parsers")) {
      return Error("content directory " + dir + " has no parsers/ directory");
    }
    PHALANX_TRY(popts.items, parser::discover_parsers(dir + "/parsers"));
    if (fs::is_directory(dir + "/patterns")) popts.pattern_dirs = {dir + "/patterns"};
    content.data_files = std::make_shared<expr::DataFiles>(dir + "/data");
    content.description = "content " + dir;
  }
  popts.data_files = content.data_files;
  content.pipeline = parser::Pipeline::load(popts, content.diagnostics);
  parser::EnricherOptions eopts{.geoip_city_path = options.geoip_city_path,
                                .geoip_asn_path = options.geoip_asn_path,
                                .pinned_year = options.year};
  PHALANX_TRY(content.enrichers, parser::Enrichers::create(eopts));
  content.stash = std::make_unique<expr::LruStash>();
  content.pipeline->configure_stash(*content.stash);
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
