// SPDX-License-Identifier: Apache-2.0
#include "cli/lint.h"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "cli/output.h"

namespace phalanx::cli {

int run_lint(const LintOptions& opts) {
  auto content = load_content(opts.content);
  if (!content) return fail("lint: " + content.error().message());
  Diagnostics diags;
  const scenario::ScenarioSet* scenarios = content->scenarios.get();
  std::unique_ptr<scenario::ScenarioSet> own;
  if (opts.paths.empty()) {
    diags = content->diagnostics;
  } else {
    scenario::LoadOptions sopts{.items = {}, .data_files = content->data_files, .functions = {}};
    for (const auto& path : opts.paths) {
      if (std::filesystem::is_directory(path)) {
        auto found = discover_scenarios(path);
        if (!found) return fail("lint: " + found.error().message());
        sopts.items.insert(sopts.items.end(), found->begin(), found->end());
      } else if (std::filesystem::exists(path)) {
        sopts.items.push_back({path, {}});
      } else {
        return usage_error("lint: no such file or directory: " + path);
      }
    }
    own = scenario::ScenarioSet::load(sopts, diags);
    scenarios = own.get();
  }
  size_t errors = 0, warnings = 0;
  for (const auto& d : diags.items()) {
    const bool error = d.severity == Diagnostic::Severity::kError;
    (error ? errors : warnings)++;
    std::cout << (error ? "error: " : "warning: ") << d.to_string() << "\n";
  }
  std::cout << fmt::format(
      "{} scenario(s) loaded ({} routed by field value, {} by literal), {} error(s), {} "
      "warning(s)\n",
      scenarios->size(), scenarios->indexed_count(), scenarios->guarded_count(), errors, warnings);
  return errors == 0 ? kExitOk : kExitFailure;
}

}  // namespace phalanx::cli
