// SPDX-License-Identifier: Apache-2.0
#include "cli/hubtest_cmd.h"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/output.h"
#include "hub/index.h"
#include "hubtest/runner.h"

namespace phalanx::cli {

int run_hubtest(const HubtestOptions& opts) {
  auto index = hub::Index::load(opts.hub_dir);
  if (!index) return fail("hubtest: " + index.error().message());
  std::vector<std::string> dirs;
  if (opts.all || opts.names.empty()) {
    auto listed = hubtest::list_test_dirs(opts.hub_dir);
    if (!listed) return fail("hubtest: " + listed.error().message());
    dirs = std::move(*listed);
  } else {
    for (const auto& name : opts.names) {
      const std::string dir = opts.hub_dir + "/.tests/" + name;
      if (!std::filesystem::exists(dir + "/config.yaml")) {
        return usage_error("hubtest: no test named '" + name + "'");
      }
      dirs.push_back(dir);
    }
  }

  hubtest::Runner runner({.hub_dir = opts.hub_dir,
                          .year = opts.year,
                          .geoip_city_path = opts.geoip_city_path,
                          .geoip_asn_path = opts.geoip_asn_path},
                         *index);
  size_t passed = 0, failed = 0, skipped = 0;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& dir : dirs) {
    const auto r = runner.run(dir);
    switch (r.status) {
      case hubtest::Status::kPass:
        ++passed;
        break;
      case hubtest::Status::kSkip:
        ++skipped;
        break;
      default:
        ++failed;
        break;
    }
    if (opts.json) {
      nlohmann::json failures = nlohmann::json::array();
      for (const auto& f : r.failures) {
        failures.push_back(
            {{"file", f.file}, {"assert", f.line}, {"actual", json_string(f.actual)}});
      }
      out.push_back({{"name", r.name},
                     {"status", hubtest::status_name(r.status)},
                     {"reason", r.reason},
                     {"parser_asserts", r.parser_asserts},
                     {"scenario_asserts", r.scenario_asserts},
                     {"alerts", r.alerts},
                     {"failures", std::move(failures)}});
      continue;
    }
    std::string line = fmt::format("{:<5} {}", hubtest::status_name(r.status), r.name);
    if (!r.reason.empty()) line += " (" + r.reason + ")";
    if (r.status == hubtest::Status::kFail) {
      line += fmt::format(" — {}/{} assertions failed", r.failures.size(),
                          r.parser_asserts + r.scenario_asserts);
    }
    std::cout << line << "\n";
    const size_t shown = opts.verbose ? r.failures.size() : std::min<size_t>(r.failures.size(), 3);
    for (size_t i = 0; i < shown; ++i) {
      std::cout << "      " << r.failures[i].file << ": " << r.failures[i].line
                << "\n        actual: " << printable(r.failures[i].actual, 200) << "\n";
    }
  }
  if (opts.json) std::cout << out.dump(2) << "\n";
  // With -o json, stdout holds the JSON document only; the summary goes to stderr.
  std::ostream& summary = opts.json ? std::cerr : std::cout;
  summary << fmt::format("hubtest: {} passed, {} failed, {} skipped\n", passed, failed, skipped);
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace phalanx::cli
