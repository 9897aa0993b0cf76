// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace phalanx::cli {

struct HubtestOptions {
  std::string hub_dir;
  std::vector<std::string> names;  // test names; empty with all=true: every test
  bool all = false;
  bool json = false;
  bool verbose = false;  // print every failing assertion, not only the first few
  std::optional<int> year;
  std::string geoip_city_path;
  std::string geoip_asn_path;
};

// `phalanx hubtest run`: runs hub tests and prints pass/fail/skip per test, then
// "hubtest: N passed, N failed, N skipped". Exit 0 when nothing failed.
int run_hubtest(const HubtestOptions& opts);

}  // namespace phalanx::cli
