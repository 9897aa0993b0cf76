// SPDX-License-Identifier: Apache-2.0
// Runs every hub test (parser.assert and scenario.assert) through Phalanx's parsers, scenarios
// and postoverflows and prints the figures. The pass count must not fall below the recorded
// floor: a change that breaks hub compatibility fails here.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "hubtest/runner.h"

namespace phalanx::hubtest {
namespace {

// Raise this as compatibility improves (bench/RESULTS.md keeps the history).
constexpr size_t kMinPassing = 276;  // of 277 tests run, 6 skipped (2026-12-03)

std::string hub_dir() {
  const char* env = std::getenv("PHALANX_HUB_DIR");
  return env != nullptr && *env != '\0' ? env : PHALANX_SOURCE_DIR "/../shared/hub";
}

TEST(HubParserAsserts, PassCountDoesNotRegress) {
  const std::string dir = hub_dir();
  if (!std::filesystem::exists(dir + "/.index.json")) {
    GTEST_SKIP() << "hub content not found at " << dir << " (set PHALANX_HUB_DIR)";
  }
  auto index = hub::Index::load(dir);
  ASSERT_TRUE(index) << index.error().message();
  auto tests = list_test_dirs(dir);
  ASSERT_TRUE(tests) << tests.error().message();
  Runner runner({.hub_dir = dir, .year = 2026}, *index);
  size_t passed = 0, failed = 0, skipped = 0;
  for (const auto& t : *tests) {
    const TestResult r = runner.run(t);
    switch (r.status) {
      case Status::kPass:
        ++passed;
        break;
      case Status::kSkip:
        ++skipped;
        break;
      default:
        ++failed;
        std::cout << status_name(r.status) << " " << r.name << " " << r.reason
                  << (r.failures.empty() ? ""
                                         : " first failure: " + r.failures[0].line +
                                               " actual: " + r.failures[0].actual.substr(0, 120))
                  << "\n";
    }
  }
  std::cout << "hubtest: " << passed << " passed, " << failed << " failed, " << skipped
            << " skipped\n";
  EXPECT_GE(passed, kMinPassing);
}

}  // namespace
}  // namespace phalanx::hubtest
